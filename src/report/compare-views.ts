/**
 * The `compare` result as text: the terminal table (default), CSV (one row per system and per
 * pair of each metric), JSON (the typed result without per-file values) and Markdown (also the
 * GitHub step summary). The HTML view is compare-html.ts.
 */
import type { ComparisonResult, MetricComparison, PairedComparison } from './comparison.js';
import { escapeMarkdown } from './markdown.js';
import { formatNumber } from './stats.js';
import { oneLine } from './summary.js';

/** A p-value: two significant digits, scientific below 1e-4. */
export function formatP(p: number | null): string {
  if (p === null) return 'n/a';
  return p < 1e-4 ? p.toExponential(1) : formatNumber(Number(p.toPrecision(2)));
}

function share(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${formatNumber(x)}`;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;
}

function ci(low: number, high: number): string {
  return `[${formatNumber(low)}, ${formatNumber(high)}]`;
}

function padTable(rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

function headline(result: ComparisonResult): string {
  const names = result.systems.map((s) => s.name).join(', ');
  return (
    `compare ${result.systems.length} systems (${names}): ${result.paired} files in every report, ` +
    `${result.missing.length} in some only (left out)` +
    (result.reference ? `; each against ${result.reference}` : '')
  );
}

function pairLabel(p: PairedComparison): string {
  return `${p.b} − ${p.a}`;
}

function verdict(p: PairedComparison): string {
  return p.better === null ? 'no significant difference' : `${p.better} better`;
}

function systemRows(m: MetricComparison): string[][] {
  const rankOf = new Map(m.ranking.map((r) => [r.system, r.rank]));
  return m.ranking.map((r) => {
    const s = m.systems.find((x) => x.system === r.system)!;
    return [String(rankOf.get(s.system)), s.system, formatNumber(s.mean), ci(s.ci.low, s.ci.high), formatNumber(s.median)];
  });
}

function pairRows(m: MetricComparison): string[][] {
  return m.pairs.map((p) => [
    pairLabel(p),
    signed(p.meanDifference),
    ci(p.ci.low, p.ci.high),
    pct(p.changePercent),
    signed(p.medianDifference),
    formatP(p.pValue),
    formatP(p.pHolm),
    `${share(p.bBetter)} / ${share(p.aBetter)} / ${share(p.ties)}`,
    p.effectSize === null ? 'n/a' : p.effectSize.toFixed(2),
    verdict(p),
  ]);
}

/** The terminal table. */
export function renderCompareText(result: ComparisonResult, options: { readonly maxListed?: number } = {}): string {
  const max = options.maxListed ?? 10;
  const out: string[] = [headline(result)];
  for (const m of result.metrics) {
    out.push('');
    out.push(`${m.metric} (${m.direction.replace(/-/g, ' ')}), n = ${m.n}`);
    out.push(...padTable([['rank', 'system', 'mean', '95% CI', 'median'], ...systemRows(m)], new Set([0])).map((l) => `  ${l}`));
    if (m.pairs.length > 0) {
      out.push(
        ...padTable(
          [['pair', 'mean diff', '95% CI', 'change', 'median diff', 'p', 'p (Holm)', 'better: b / a / tie', 'effect', ''], ...pairRows(m)],
          new Set([1, 3, 4, 5, 6, 8]),
        ).map((l) => `  ${l}`),
      );
    }
  }
  out.push('');
  out.push(
    `p: Wilcoxon signed-rank, two-sided; Holm-adjusted over the ${result.metrics.reduce((n, m) => n + m.pairs.length, 0)} comparisons; ` +
      `same rank = not significantly different at ${formatNumber(result.alpha)}; effect: rank-biserial, + when b is better.`,
  );
  out.push(result.intervalNote);
  if (result.missing.length > 0) {
    const shown = result.missing.slice(0, max).map((f) => `${oneLine(f.file)} (only in ${f.presentIn.join(', ')})`);
    out.push(`in some reports only (${result.missing.length}): ${shown.join(', ')}${result.missing.length > max ? `, ... and ${result.missing.length - max} more` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

/** The result as JSON (per-file values left out: they are the input reports). */
export function renderCompareJson(result: ComparisonResult, version: string): string {
  const { perFile: _perFile, ...rest } = result;
  return `${JSON.stringify({ tool: 'tts-critic', version, comparison: rest }, null, 2)}\n`;
}

const CSV_COLUMNS = [
  'kind',
  'metric',
  'system',
  'a',
  'b',
  'n',
  'rank',
  'mean',
  'median',
  'ci_low',
  'ci_high',
  'ci_method',
  'mean_difference',
  'median_difference',
  'change_percent',
  'p_value',
  'p_holm',
  'test',
  'effect_size',
  'cohens_dz',
  'a_better',
  'b_better',
  'ties',
  'significant',
] as const;

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) || /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per system and metric (kind `system`) and per compared pair (kind `pair`). */
export function renderCompareCsv(result: ComparisonResult): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of result.metrics) {
    const rankOf = new Map(m.ranking.map((r) => [r.system, r.rank]));
    for (const s of m.systems) {
      const row: Partial<Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null>> = {
        kind: 'system',
        metric: m.metric,
        system: s.system,
        n: s.n,
        rank: rankOf.get(s.system) ?? null,
        mean: s.mean,
        median: s.median,
        ci_low: s.ci.low,
        ci_high: s.ci.high,
        ci_method: s.ci.method,
      };
      lines.push(CSV_COLUMNS.map((c) => csvField(row[c] ?? null)).join(','));
    }
    for (const p of m.pairs) {
      const row: Partial<Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null>> = {
        kind: 'pair',
        metric: m.metric,
        a: p.a,
        b: p.b,
        n: p.n,
        ci_low: p.ci.low,
        ci_high: p.ci.high,
        ci_method: p.ci.method,
        mean_difference: p.meanDifference,
        median_difference: p.medianDifference,
        change_percent: p.changePercent,
        p_value: p.pValue,
        p_holm: p.pHolm,
        test: `wilcoxon-${p.testMethod}`,
        effect_size: p.effectSize,
        cohens_dz: p.cohensDz,
        a_better: p.aBetter,
        b_better: p.bBetter,
        ties: p.ties,
        significant: p.significant,
      };
      lines.push(CSV_COLUMNS.map((c) => csvField(row[c] ?? null)).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Markdown (the step summary in GitHub Actions); lists capped. */
export function renderCompareMarkdown(result: ComparisonResult, options: { readonly maxListed?: number } = {}): string {
  const max = options.maxListed ?? 20;
  const out: string[] = [`## tts-critic compare: ${escapeMarkdown(headline(result))}`];
  for (const m of result.metrics) {
    const esc = (rows: string[][]) => rows.map((r) => r.map(escapeMarkdown));
    let text = `### ${escapeMarkdown(m.metric)} (${m.direction.replace(/-/g, ' ')}), n = ${m.n}\n\n${mdTable(['rank', 'system', 'mean', '95% CI', 'median'], esc(systemRows(m)))}`;
    if (m.pairs.length > 0) {
      text += `\n\n${mdTable(['pair', 'mean diff', '95% CI', 'change', 'median diff', 'p', 'p (Holm)', 'better: b / a / tie', 'effect', 'verdict'], esc(pairRows(m)))}`;
    }
    out.push(text);
  }
  out.push(
    escapeMarkdown(
      `p: Wilcoxon signed-rank, two-sided, Holm-adjusted over every comparison; same rank = not significantly different at ${formatNumber(result.alpha)}; ` +
        `effect: rank-biserial, + when b is better. ${result.intervalNote}`,
    ),
  );
  if (result.missing.length > 0) {
    const shown = result.missing.slice(0, max);
    out.push(
      `### In some reports only (${result.missing.length}, left out)\n\n${mdTable(
        ['file', 'in'],
        shown.map((f) => [escapeMarkdown(f.file), escapeMarkdown(f.presentIn.join(', '))]),
      )}${result.missing.length > max ? `\n\n… and ${result.missing.length - max} more` : ''}`,
    );
  }
  return `${out.join('\n\n')}\n`;
}

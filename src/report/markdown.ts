/**
 * `--format markdown`: the run summary as GitHub-flavoured Markdown (counts, model, gates,
 * baseline, the statistics of every main metric, the worst files, the files not scored). The
 * same text goes to `$GITHUB_STEP_SUMMARY` in GitHub Actions, so every list is capped to keep
 * it far below the 1 MiB a step summary may hold.
 */
import { metricDirection } from './columns.js';
import type { Formatter, ReportResults } from './formatter.js';
import { formatNumber } from './stats.js';
import { failureCount, formatCell, oneLine } from './summary.js';
import { countsLine, mainMetricStats, modelFacts, modelRows } from './views.js';

export interface MarkdownOptions {
  /** Most failures and regressions listed before "… and N more" (default 20). */
  readonly maxListed?: number;
}

/**
 * Text shown literally in Markdown, also inside a table cell: every ASCII punctuation character
 * Markdown could read as syntax is backslash-escaped (CommonMark allows that for any of them),
 * `&` and `<` become entities (no HTML or entity can be formed), control characters are shown
 * escaped and the text stays on one line.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()#+\-.!|~>]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}

function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const rule = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function signedPercent(percent: number | null): string {
  if (percent === null) return 'baseline 0';
  return `${percent >= 0 ? '+' : ''}${formatNumber(Number(percent.toFixed(2)))}%`;
}

function more(total: number, shown: number): string {
  return total > shown ? `\n\n… and ${total - shown} more` : '';
}

export function renderMarkdown(results: ReportResults, options: MarkdownOptions = {}): string {
  const max = options.maxListed ?? 20;
  const { summary, gates, baseline } = results;
  const out: string[] = [];
  const failedGates = gates.filter((g) => !g.passed).length + (baseline && !baseline.passed ? 1 : 0);
  const verdict = failedGates > 0 ? '❌' : summary.error + summary.unpaired > 0 ? '⚠️' : '✅';
  out.push(`## ${verdict} tts-critic: ${escapeMarkdown(countsLine(summary))}`);

  out.push(modelFacts(results, modelRows(results)).map(([k, v]) => `**${escapeMarkdown(k)}**: ${escapeMarkdown(v)}`).join(' · '));

  if (gates.length > 0 || baseline) {
    const rows = gates.map((g) => [g.passed ? '✅ passed' : '❌ failed', `\`${g.gate.source.replace(/`/g, "'")}\``, escapeMarkdown(g.message)]);
    if (baseline) {
      rows.push([
        baseline.passed ? '✅ passed' : '❌ failed',
        `baseline ${escapeMarkdown(baseline.source)}`,
        escapeMarkdown(
          `${baseline.matched} files matched, ${baseline.regressionCount} regressed beyond the allowance, ` +
            `${baseline.newCount} new, ${baseline.missingCount} missing`,
        ),
      ]);
    }
    out.push(`### Gates\n\n${table(['result', 'gate', 'details'], rows)}`);
  }

  const stats = mainMetricStats(results);
  if (stats.length > 0) {
    out.push(
      `### Summary\n\n${table(
        ['metric', 'n', 'mean', 'median', 'p95', 'min', 'max'],
        stats.map(({ metric, stats: s }) => [escapeMarkdown(metric), String(s.count), ...[s.mean, s.median, s.p95, s.min, s.max].map(formatCell)]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      )}`,
    );
  }

  if (baseline) {
    const metricRows = baseline.metrics.map((m) => [
      escapeMarkdown(m.column),
      formatCell(m.mean),
      formatCell(m.baselineMean),
      signedPercent(m.meanChangePercent),
      baseline.perFile === false ? '—' : `${formatNumber(m.maxPercent)}%`,
    ]);
    let text = `### Baseline ${escapeMarkdown(baseline.source)}\n\n${table(['metric', 'mean', 'baseline', 'change', 'allowed per file'], metricRows, ['l', 'r', 'r', 'r', 'r'])}`;
    if (baseline.regressionCount > 0) {
      const shown = baseline.regressions.slice(0, max);
      text += `\n\n**Regressed beyond the allowance (${baseline.regressionCount})**\n\n${table(
        ['file', 'metric', 'baseline', 'now', 'change'],
        shown.map((r) => [escapeMarkdown(r.file), escapeMarkdown(r.column), formatCell(r.baseline), formatCell(r.value), signedPercent(r.changePercent)]),
        ['l', 'l', 'r', 'r', 'r'],
      )}${more(baseline.regressionCount, shown.length)}`;
    }
    const tests = baseline.meanTests ?? [];
    if (tests.length > 0) {
      text += `\n\n**Regression test (Wilcoxon signed-rank on the paired files)**\n\n${table(
        ['result', 'metric', 'change of the mean', '95% CI', 'p', 'files'],
        tests.map((t) => [
          t.failed ? '❌ failed' : '✅ passed',
          escapeMarkdown(t.column),
          signedPercent(t.changePercent),
          t.ciPercent ? `${signedPercent(t.ciPercent.low)} to ${signedPercent(t.ciPercent.high)}` : 'n/a',
          t.pValue === null ? 'n/a' : t.pValue < 1e-4 ? t.pValue.toExponential(1) : formatNumber(Number(t.pValue.toPrecision(2))),
          String(t.n),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      )}\n\nFails when the mean got worse by more than ${formatNumber(tests[0]!.minEffectPercent)}% and p < ${formatNumber(tests[0]!.alpha)}.`;
    }
    out.push(text);
  }

  const { worst } = summary;
  if (worst.metric !== null && worst.files.length > 0) {
    const order = metricDirection(worst.metric) === 'higher-is-better' ? 'lowest' : 'highest';
    out.push(
      `### Worst ${worst.files.length} by ${escapeMarkdown(worst.metric)} (${order} first)\n\n${table(
        ['#', 'file', escapeMarkdown(worst.metric)],
        worst.files.map((f, i) => [String(i + 1), escapeMarkdown(f.syn || f.ref), formatCell(f.value)]),
        ['r', 'l', 'r'],
      )}`,
    );
  }

  const failures = failureCount(summary);
  if (failures > 0) {
    const shown = summary.errors.slice(0, max);
    out.push(
      `### Not scored (${failures})\n\n${table(
        ['status', 'file', 'message'],
        shown.map((e) => [e.status, escapeMarkdown(e.syn || e.ref), escapeMarkdown(e.error)]),
      )}${more(failures, shown.length)}`,
    );
  }
  return `${out.join('\n\n')}\n`;
}

/** Markdown: written whole at the end. */
export const markdownFormatter: Formatter = {
  tail: (results) => renderMarkdown(results),
  digest: true,
};

/**
 * `--format html`: one self-contained page that opens from disk with no network request. The
 * static parts (model, gates, counts, statistics, baseline, worst files with their audio and
 * spectrograms) are rendered here; the plots and the file table are drawn in the page from a
 * compact JSON block by the script in html-client.ts, with uPlot inlined for the charts.
 *
 * Sizes: histograms are binned here (a few dozen counts per metric, not every value) and the
 * table carries only the columns it shows (no per-sub or per-layer columns), numbers cut to
 * six significant digits, so 5,000 files make a page of about 1 MB that the table renders
 * lazily (only the rows in view are in the DOM).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MODEL_COLUMNS, isTextColumn, layerColumnMatcher, mainMetrics, metricDirection, numberCell, rowKey, subColumns, textCell } from './columns.js';
import type { AudioMedia, FileMedia, Formatter, ReportResults } from './formatter.js';
import type { Histogram } from './histogram.js';
import { CLIENT_SCRIPT, PAGE_STYLE } from './html-client.js';
import { formatNumber } from './stats.js';
import { formatCell } from './summary.js';
import { countsLine, mainMetricStats, modelFacts, modelRows, viewDigest } from './views.js';

const require = createRequire(import.meta.url);
let uplot: { script: string; style: string } | undefined;

/** uPlot's browser build and stylesheet, read once from the installed package. */
export function uplotAssets(): { script: string; style: string } {
  return (uplot ??= {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  });
}

/** Text for HTML element content and attribute values (quotes included). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that can sit inside a <script> element: no `<` can close it or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Script text safe inside <script>: a literal `</script` in it would end the element. */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

/** Six significant digits: enough to tell files apart, a third of the text of a full float. */
function compact(value: number | null): number | null {
  return value === null ? null : Number(value.toPrecision(6));
}

type ColumnKind = 'text' | 'number' | 'status' | 'change';

interface TableColumn {
  readonly key: string;
  readonly label: string;
  readonly kind: ColumnKind;
  readonly title: string;
}

interface TableData {
  readonly columns: TableColumn[];
  readonly values: Record<string, (string | number | null)[]>;
  /** Per change column, the row indices that regressed beyond the allowance. */
  readonly regressed: Record<string, number[]>;
}

/** The data the page script draws from. */
export interface HtmlViewData {
  readonly rows: number;
  readonly table: TableData;
  readonly histograms: (Histogram & { metric: string; count: number })[];
  readonly subs: { names: string[]; fm: (number | null)[] | null; gen: (number | null)[] | null } | null;
}

/** The table's columns: file, status, main metrics, baseline changes, descriptive and extra text columns, error. */
function tableData(results: ReportResults): TableData {
  const { rows, columns, subs, baseline } = results;
  const columnsOut: TableColumn[] = [];
  const values: Record<string, (string | number | null)[]> = {};
  const regressed: Record<string, number[]> = {};
  const add = (column: TableColumn, cells: (string | number | null)[]): void => {
    columnsOut.push(column);
    values[column.key] = cells;
  };

  add({ key: 'file', label: 'file', kind: 'text', title: 'synthesized file (or the reference of an unpaired one)' }, rows.map(rowKey));
  if (rows.some((row) => textCell(row, 'ref') !== '' && textCell(row, 'syn') !== '')) {
    add({ key: 'ref', label: 'ref', kind: 'text', title: 'reference file' }, rows.map((row) => textCell(row, 'ref')));
  }
  add({ key: 'status', label: 'status', kind: 'status', title: 'ok, error or unpaired' }, rows.map((row) => textCell(row, 'status')));

  const metrics = mainMetrics(columns);
  for (const metric of metrics) {
    const cells = rows.map((row) => compact(numberCell(row, metric)));
    if (cells.every((cell) => cell === null)) continue;
    add({ key: `m:${metric}`, label: metric, kind: 'number', title: `${metric} (${metricDirection(metric)})` }, cells);
  }

  if (baseline) {
    const index = new Map(rows.map((row, i) => [rowKey(row), i]));
    for (const check of baseline.metrics) {
      const cells: (number | null)[] = rows.map(() => null);
      const bad: number[] = [];
      for (const change of baseline.changes) {
        if (change.column !== check.column) continue;
        const i = index.get(change.file);
        if (i === undefined) continue;
        cells[i] = change.changePercent === null ? null : Number(change.changePercent.toFixed(2));
        if (change.regressed) bad.push(i);
      }
      const key = `d:${check.column}`;
      add(
        { key, label: `Δ${check.column} %`, kind: 'change', title: `change of ${check.column} from the baseline in percent; allowed ${formatNumber(check.maxPercent)}% (${check.direction})` },
        cells,
      );
      regressed[key] = bad;
    }
  }

  // Numeric columns that describe the file (durations, offsets, rates) when they vary.
  const perSub = new Set(subs.flatMap(subColumns));
  const isLayer = layerColumnMatcher(subs);
  const shown = new Set(metrics);
  for (const column of columns) {
    if (isTextColumn(column) || shown.has(column) || perSub.has(column) || isLayer(column)) continue;
    const cells = rows.map((row) => compact(numberCell(row, column)));
    if (new Set(cells).size <= 1) continue;
    add({ key: `n:${column}`, label: column, kind: 'number', title: column }, cells);
  }
  const core = new Set(['ref', 'syn', 'status', 'error', ...MODEL_COLUMNS]);
  for (const column of columns) {
    if (!isTextColumn(column) || core.has(column)) continue;
    const cells = rows.map((row) => textCell(row, column));
    if (cells.every((cell) => cell === '')) continue;
    add({ key: `t:${column}`, label: column, kind: 'text', title: column }, cells);
  }
  add({ key: 'error', label: 'error', kind: 'text', title: 'why the file was not scored' }, rows.map((row) => textCell(row, 'error')));
  return { columns: columnsOut, values, regressed };
}

/** Everything the page script needs, as plain data (exported for tests). */
export function htmlViewData(results: ReportResults): HtmlViewData {
  const digest = viewDigest(results);
  const histograms = digest.metrics.map(({ metric, stats, histogram: h }) => ({
    metric,
    count: stats.count,
    edges: h.edges.map((e) => compact(e)!),
    counts: h.counts,
  }));
  const subMean = (metric: 'fm' | 'gen'): (number | null)[] | null => {
    const means = digest.subMeans[metric].map((m) => compact(m));
    return means.some((m) => m !== null) ? means : null;
  };
  const subs = results.subs.length > 0 ? { names: [...results.subs], fm: subMean('fm'), gen: subMean('gen') } : null;
  return { rows: results.rows.length, table: tableData(results), histograms, subs: subs && (subs.fm || subs.gen) ? subs : null };
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function factsTable(facts: [string, string][]): string {
  return `<table class="facts">${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function countsBlock(results: ReportResults): string {
  const { summary } = results;
  const badge = (cls: string, n: number, label: string): string => `<span class="count ${cls}"><b>${n}</b> ${label}</span>`;
  return (
    `<div class="counts">${badge('all', summary.files, 'files')}${badge('ok', summary.ok, 'ok')}` +
    `${badge(summary.error > 0 ? 'bad' : 'none', summary.error, 'error')}${badge(summary.unpaired > 0 ? 'bad' : 'none', summary.unpaired, 'unpaired')}</div>` +
    (summary.interrupted ? `<p class="warn">Interrupted: only the files finished before the stop are included.</p>` : '')
  );
}

function gatesBlock(results: ReportResults): string {
  const { gates, baseline } = results;
  if (gates.length === 0 && !baseline) return '<p class="muted">No gates (<code>--fail-if</code>, <code>--baseline</code>) were given.</p>';
  const items = gates.map(
    (g) =>
      `<li class="${g.passed ? 'pass' : 'fail'}"><span class="verdict">${g.passed ? 'passed' : 'failed'}</span> ` +
      `<span class="msg">${escapeHtml(g.message)}</span></li>`,
  );
  if (baseline) {
    const over = baseline.regressionCount;
    items.push(
      `<li class="${baseline.passed ? 'pass' : 'fail'}"><span class="verdict">${baseline.passed ? 'passed' : 'failed'}</span> ` +
        `<code>--baseline ${escapeHtml(baseline.source)}</code> <span class="msg">${over === 0 ? 'no file regressed beyond the allowance' : `${over} regression${over === 1 ? '' : 's'} beyond the allowance`}</span></li>`,
    );
  }
  return `<ul class="gates">${items.join('')}</ul>`;
}

function statsBlock(results: ReportResults): string {
  const stats = mainMetricStats(results);
  if (stats.length === 0) return '<p class="muted">No file was scored.</p>';
  const head = ['metric', 'n', 'mean', 'median', 'p95', 'min', 'max'].map((h) => `<th>${h}</th>`).join('');
  const body = stats
    .map(({ metric, stats: s }) => {
      const cells = [s.mean, s.median, s.p95, s.min, s.max].map((v) => `<td class="num">${formatCell(v)}</td>`).join('');
      return `<tr><th>${escapeHtml(metric)}</th><td class="num">${s.count}</td>${cells}</tr>`;
    })
    .join('');
  return `<table class="stats"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function signedPercent(percent: number | null): string {
  if (percent === null) return 'baseline 0';
  return `${percent >= 0 ? '+' : ''}${formatNumber(Number(percent.toFixed(2)))}%`;
}

function baselineBlock(results: ReportResults): string {
  const b = results.baseline;
  if (!b) return '';
  const parts: string[] = [];
  parts.push(
    `<p>${b.matched} files matched${b.matchedByRef > 0 ? ` (${b.matchedByRef} by ref path)` : ''}, ` +
      `${b.newCount} new, ${b.missingCount} missing, ${b.statusChangedCount} changed status.</p>`,
  );
  const rows = b.metrics
    .map(
      (m) =>
        `<tr><th>${escapeHtml(m.column)}</th><td class="num">${formatCell(m.mean)}</td><td class="num">${formatCell(m.baselineMean)}</td>` +
        `<td class="num">${signedPercent(m.meanChangePercent)}</td><td class="num">${b.perFile === false ? '—' : `${formatNumber(m.maxPercent)}%`}</td><td>${m.direction}</td><td class="num">${m.compared}</td></tr>`,
    )
    .join('');
  parts.push(
    `<table class="stats"><thead><tr><th>metric</th><th>mean</th><th>baseline mean</th><th>change</th><th>allowed per file</th><th>better</th><th>files</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
  const tests = b.meanTests ?? [];
  if (tests.length > 0) {
    // --regression-test: the verdict on each mean, as the terminal prints it.
    parts.push(
      `<h3>Regression test</h3><ul>${tests.map((t) => `<li class="${t.failed ? 'bad' : ''}">${escapeHtml(t.message)}</li>`).join('')}</ul>`,
    );
  }
  if (b.regressionCount > 0) {
    const shown = b.regressions.slice(0, 50);
    parts.push(
      `<h3>Regressed beyond the allowance (${b.regressionCount})</h3><table class="stats regressions"><thead><tr><th>file</th><th>metric</th><th>baseline</th><th>now</th><th>change</th><th>allowed</th></tr></thead><tbody>` +
        shown
          .map(
            (r) =>
              `<tr><td class="path">${escapeHtml(r.file)}</td><td>${escapeHtml(r.column)}</td><td class="num">${formatCell(r.baseline)}</td>` +
              `<td class="num">${formatCell(r.value)}</td><td class="num bad">${signedPercent(r.changePercent)}</td><td class="num">${formatNumber(r.maxPercent)}%</td></tr>`,
          )
          .join('') +
        `</tbody></table>` +
        (b.regressionCount > shown.length ? `<p class="muted">… and ${b.regressionCount - shown.length} more (the table below marks those of the files it lists).</p>` : ''),
    );
  }
  const list = (title: string, keys: readonly string[], count: number): string => {
    if (count === 0) return '';
    const shown = keys.slice(0, 200);
    const more = count - shown.length;
    return `<details><summary>${escapeHtml(title)} (${count})</summary><ul class="paths">${shown.map((k) => `<li>${escapeHtml(k)}</li>`).join('')}${more > 0 ? `<li>… and ${more} more</li>` : ''}</ul></details>`;
  };
  parts.push(list('status changed', b.statusChanged.map((s) => `${s.file} (${s.baselineStatus} → ${s.status})`), b.statusChangedCount));
  parts.push(list('new (not in the baseline)', b.newFiles, b.newCount));
  parts.push(list('missing (only in the baseline)', b.missingFiles, b.missingCount));
  return section('baseline', `Baseline: ${b.source}`, parts.join(''));
}

function audioFigure(side: 'ref' | 'syn', path: string, media: AudioMedia | null): string {
  if (path === '') return `<figure class="side empty"><figcaption>${side}: none</figcaption></figure>`;
  const image = media?.spectrogram
    ? `<img class="spec" alt="log-mel spectrogram of ${escapeHtml(path)}" src="${media.spectrogram}">`
    : `<div class="spec missing">no spectrogram</div>`;
  const player = media?.href ? `<audio controls preload="none" src="${escapeHtml(media.href)}"></audio>` : '';
  const problem = media?.problem ? `<p class="problem">${escapeHtml(media.problem)}</p>` : '';
  return `<figure class="side"><figcaption>${side}: <span class="path">${escapeHtml(path)}</span></figcaption>${image}${player}${problem}</figure>`;
}

function worstBlock(results: ReportResults): string {
  const { worst } = results.summary;
  if (worst.metric === null || worst.files.length === 0) return '';
  const direction = metricDirection(worst.metric) === 'higher-is-better' ? 'lowest' : 'highest';
  const changes = new Map((results.baseline?.changes ?? []).filter((c) => c.column === worst.metric).map((c) => [c.file, c]));
  const cards = worst.files.map((file, i) => {
    const key = file.syn || file.ref;
    const media: FileMedia | undefined = results.media.get(key);
    const change = changes.get(key);
    const changeText = change ? ` <span class="${change.regressed ? 'bad' : 'muted'}">(${signedPercent(change.changePercent)} vs baseline${change.regressed ? ', regressed' : ''})</span>` : '';
    return (
      `<article class="worst-file"><h3>${i + 1}. <span class="path">${escapeHtml(key)}</span> ` +
      `<span class="value">${escapeHtml(worst.metric!)} = ${formatCell(file.value)}</span>${changeText}</h3>` +
      `<div class="sides">${audioFigure('ref', file.ref, media?.ref ?? null)}${audioFigure('syn', file.syn, media?.syn ?? null)}</div></article>`
    );
  });
  return section(
    'worst',
    `Worst ${worst.files.length} by ${worst.metric} (${direction} first)`,
    `<p class="muted">Log-mel spectrograms (GPT-SoVITS mel, 32 kHz, 128 bands; at most the first 10 s; ref and syn on one colour scale). Audio plays from the files next to the report.</p>${cards.join('')}`,
  );
}

/** The whole page. */
export function renderHtml(results: ReportResults): string {
  const assets = uplotAssets();
  const digest = viewDigest(results);
  const data = htmlViewData({ ...results, digest });
  // A large run's page lists a selection of its files (see html-sample.ts); say so.
  const sampled =
    data.rows < digest.files
      ? `<p class="warn" id="sampled">Showing ${data.rows} of ${digest.files} files: the worst by each metric, the first files not scored and a fixed sample of the rest. ` +
        `Statistics and plots cover all ${digest.files}; the scores file has every one.</p>`
      : '';
  const title = `tts-critic report: ${countsLine(results.summary)}`;
  const plots =
    data.histograms.length === 0 && !data.subs
      ? '<p class="muted">Nothing to plot: no file was scored.</p>'
      : `<div class="plots">${data.histograms
          .map((h, i) => `<div class="plot-card"><h3>${escapeHtml(h.metric)} <span class="muted">(${h.count} files)</span></h3><div class="plot" id="hist-${i}"></div></div>`)
          .join('')}</div>` +
        (data.subs ? `<div class="plot-card wide"><h3>Mean fm and gen per sub-discriminator</h3><div class="plot" id="subs-plot"></div></div>` : '');
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; media-src 'self' file:";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="tts-critic ${escapeHtml(results.version)}">
<title>${escapeHtml(title)}</title>
<style>${assets.style}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>tts-critic report</h1>${countsBlock(results)}</header>
<main>
${section('model', 'Model', factsTable(modelFacts(results, modelRows({ ...results, digest }))))}
${section('gates', 'Gates', gatesBlock(results))}
${section('summary', 'Summary', statsBlock(results))}
${section('plots', 'Distributions', plots)}
${baselineBlock(results)}
${worstBlock(results)}
${section(
  'files',
  'Files',
  `${sampled}<div class="table-tools"><input id="filter" type="search" placeholder="filter by path or message" aria-label="filter files">` +
    `<select id="status-filter" aria-label="status"><option value="">every status</option><option>ok</option><option>error</option><option>unpaired</option></select>` +
    (results.baseline ? `<label><input id="regressed-only" type="checkbox"> regressions only</label>` : '') +
    `<span id="shown-count" class="muted"></span></div>` +
    `<div id="table-scroll" class="table-scroll"><table id="files-table"><colgroup id="files-cols"></colgroup><thead><tr id="files-head"></tr></thead><tbody id="files-body"></tbody></table></div>`,
)}
</main>
<footer>tts-critic ${escapeHtml(results.version)}</footer>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${inlineScript(assets.script)}</script>
<script>${inlineScript(CLIENT_SCRIPT)}</script>
</body>
</html>
`;
}

/** HTML: written whole at the end. */
export const htmlFormatter: Formatter = {
  tail: renderHtml,
  rows: 'sample',
  digest: true,
};

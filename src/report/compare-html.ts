/**
 * `compare --format html`: one self-contained page like the report (no network request; uPlot
 * inlined). Per metric: the ranking, a box plot per system (drawn here as SVG: five numbers per
 * system, not every value), the pairwise differences with their 95 % intervals (SVG), and a
 * per-file scatter of one system against another (uPlot, drawn in the page) whose points link
 * to the two files' audio where their paths resolved.
 *
 * Size: the scatter carries at most SCATTER_MAX files per metric (an even, deterministic
 * subsample above that, stated on the page), so 100,000 files still make a page of a few MB.
 */
import type { ComparisonResult, MetricComparison } from './comparison.js';
import { formatP } from './compare-views.js';
import { escapeHtml, inlineScript, scriptJson, uplotAssets } from './html.js';
import { formatNumber, percentileSorted } from './stats.js';

export const SCATTER_MAX = 5000;

export interface CompareHtmlOptions {
  readonly version: string;
  /**
   * The audio link of system `s`'s path of a file (a URL relative to the page), or null when it
   * does not resolve. Default: no links.
   */
  readonly audioHref?: (system: number, path: string) => string | null;
}

const COLOURS = ['#3b6fb6', '#d9822b', '#3a9d5d', '#b63b6f', '#7a5cc2', '#8c6d31', '#17a2b8', '#666666'];

function five(values: Float64Array): [number, number, number, number, number] {
  const sorted = Float64Array.from(values).sort() as unknown as number[];
  return [5, 25, 50, 75, 95].map((p) => percentileSorted(sorted, p)!) as [number, number, number, number, number];
}

function scaleOf(lo: number, hi: number, width: number, pad: number): (v: number) => number {
  const span = hi - lo || Math.abs(hi) || 1;
  return (v) => pad + ((v - lo) / span) * (width - 2 * pad);
}

/** Horizontal box plots (whiskers p5–p95, box p25–p75, median line, mean dot) per system. */
function boxPlot(m: MetricComparison, values: readonly Float64Array[], names: readonly string[]): string {
  const stats = values.map(five);
  const lo = Math.min(...stats.map((s) => s[0]));
  const hi = Math.max(...stats.map((s) => s[4]));
  const width = 640;
  const label = 120;
  const row = 28;
  const x = scaleOf(lo, hi, width - label, 10);
  const rows = stats.map((s, i) => {
    const y = 10 + i * row;
    const c = COLOURS[i % COLOURS.length]!;
    const mean = m.systems[i]!.mean;
    return (
      `<text x="0" y="${y + 14}" class="svg-label">${escapeHtml(names[i]!)}</text>` +
      `<g transform="translate(${label},0)"><line x1="${x(s[0])}" x2="${x(s[4])}" y1="${y + 10}" y2="${y + 10}" stroke="${c}"/>` +
      `<rect x="${x(s[1])}" y="${y + 2}" width="${Math.max(1, x(s[3]) - x(s[1]))}" height="16" fill="${c}44" stroke="${c}"/>` +
      `<line x1="${x(s[2])}" x2="${x(s[2])}" y1="${y + 2}" y2="${y + 18}" stroke="${c}" stroke-width="2"/>` +
      `<circle cx="${x(mean)}" cy="${y + 10}" r="3" fill="#222"><title>mean ${formatNumber(mean)}</title></circle>` +
      `<title>${escapeHtml(names[i]!)}: p5 ${formatNumber(s[0])}, p25 ${formatNumber(s[1])}, median ${formatNumber(s[2])}, p75 ${formatNumber(s[3])}, p95 ${formatNumber(s[4])}</title></g>`
    );
  });
  const height = 20 + stats.length * row;
  const axis = `<text x="${label}" y="${height + 4}" class="svg-axis">${formatNumber(lo)}</text><text x="${width}" y="${height + 4}" class="svg-axis" text-anchor="end">${formatNumber(hi)}</text>`;
  return `<svg viewBox="0 0 ${width} ${height + 8}" class="chart" role="img" aria-label="${escapeHtml(m.metric)} per system">${rows.join('')}${axis}</svg>`;
}

/** Mean differences with their 95 % intervals around a zero line. */
function forestPlot(m: MetricComparison): string {
  if (m.pairs.length === 0) return '';
  const lo = Math.min(0, ...m.pairs.map((p) => p.ci.low));
  const hi = Math.max(0, ...m.pairs.map((p) => p.ci.high));
  const width = 640;
  const label = 160;
  const row = 24;
  const x = scaleOf(lo, hi, width - label, 10);
  const height = 16 + m.pairs.length * row;
  const rows = m.pairs.map((p, i) => {
    const y = 10 + i * row;
    const colour = p.significant ? '#b8352f' : '#555';
    return (
      `<text x="0" y="${y + 12}" class="svg-label">${escapeHtml(`${p.b} − ${p.a}`)}</text><g transform="translate(${label},0)">` +
      `<line x1="${x(p.ci.low)}" x2="${x(p.ci.high)}" y1="${y + 8}" y2="${y + 8}" stroke="${colour}" stroke-width="2"/>` +
      `<circle cx="${x(p.meanDifference)}" cy="${y + 8}" r="4" fill="${colour}"/>` +
      `<title>${escapeHtml(`${p.b} − ${p.a}: ${formatNumber(p.meanDifference)} [${formatNumber(p.ci.low)}, ${formatNumber(p.ci.high)}], p (Holm) ${formatP(p.pHolm)}`)}</title></g>`
    );
  });
  const zero = `<line x1="${label + x(0)}" x2="${label + x(0)}" y1="4" y2="${height}" stroke="#999" stroke-dasharray="3 3"/>`;
  return `<svg viewBox="0 0 ${width} ${height + 8}" class="chart" role="img" aria-label="paired differences of ${escapeHtml(m.metric)}">${zero}${rows.join('')}</svg>`;
}

function metricSection(result: ComparisonResult, m: MetricComparison, index: number): string {
  const files = result.perFile.find((f) => f.metric === m.metric)!;
  const names = result.systems.map((s) => s.name);
  const systemRows = m.ranking
    .map((r) => {
      const s = m.systems.find((x) => x.system === r.system)!;
      return `<tr><td>${r.rank}</td><td>${escapeHtml(s.system)}</td><td class="num">${formatNumber(s.mean)}</td><td class="num">[${formatNumber(s.ci.low)}, ${formatNumber(s.ci.high)}]</td><td class="num">${formatNumber(s.median)}</td></tr>`;
    })
    .join('');
  const pairRows = m.pairs
    .map(
      (p) =>
        `<tr class="${p.significant ? 'sig' : ''}"><td>${escapeHtml(`${p.b} − ${p.a}`)}</td><td class="num">${formatNumber(p.meanDifference)}</td>` +
        `<td class="num">[${formatNumber(p.ci.low)}, ${formatNumber(p.ci.high)}]</td><td class="num">${p.changePercent === null ? 'n/a' : `${p.changePercent.toFixed(2)}%`}</td>` +
        `<td class="num">${formatNumber(p.medianDifference)}</td><td class="num">${formatP(p.pValue)}</td><td class="num">${formatP(p.pHolm)}</td>` +
        `<td class="num">${(p.bBetter * 100).toFixed(0)}% / ${(p.aBetter * 100).toFixed(0)}% / ${(p.ties * 100).toFixed(0)}%</td>` +
        `<td class="num">${p.effectSize === null ? 'n/a' : p.effectSize.toFixed(2)}</td><td>${escapeHtml(p.better ? `${p.better} better` : 'no significant difference')}</td></tr>`,
    )
    .join('');
  return (
    `<section id="metric-${index}"><h2>${escapeHtml(m.metric)} <span class="muted">(${m.direction.replace(/-/g, ' ')}, n = ${m.n})</span></h2>` +
    `<table><thead><tr><th>rank</th><th>system</th><th>mean</th><th>95% CI</th><th>median</th></tr></thead><tbody>${systemRows}</tbody></table>` +
    `<h3>Per system</h3><p class="muted">Box p25–p75, line median, whiskers p5–p95, dot mean.</p>${boxPlot(m, files.values, names)}` +
    (m.pairs.length > 0
      ? `<h3>Paired differences (b − a)</h3><table><thead><tr><th>pair</th><th>mean diff</th><th>95% CI</th><th>change</th><th>median diff</th><th>p</th><th>p (Holm)</th><th>better b / a / tie</th><th>effect</th><th></th></tr></thead><tbody>${pairRows}</tbody></table>${forestPlot(m)}`
      : '') +
    `</section>`
  );
}

interface ScatterData {
  readonly metric: string;
  readonly total: number;
  readonly files: string[];
  readonly values: number[][];
  /** Per system, per file: a URL or null. */
  readonly hrefs: (string | null)[][];
}

function scatterData(result: ComparisonResult, audioHref: CompareHtmlOptions['audioHref']): ScatterData[] {
  return result.perFile.map((f) => {
    const total = f.files.length;
    const step = Math.max(1, Math.ceil(total / SCATTER_MAX));
    const picked: number[] = [];
    for (let i = 0; i < total; i += step) picked.push(i);
    return {
      metric: f.metric,
      total,
      files: picked.map((i) => f.files[i]!),
      values: f.values.map((v) => picked.map((i) => Number(v[i]!.toPrecision(6)))),
      hrefs: f.paths.map((paths, s) => picked.map((i) => (audioHref ? audioHref(s, paths[i]!) : null))),
    };
  });
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header,main,footer{max-width:1100px;margin:0 auto;padding:12px 20px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;background:#fff}th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.sig td{font-weight:600}
.muted{color:#777;font-weight:normal}.chart{width:100%;max-width:680px;display:block;background:#fff}
.svg-label{font-size:12px}.svg-axis{font-size:11px;fill:#777}
#scatter-info a{margin-right:12px}select{margin-right:8px}
`;

const SCRIPT = String.raw`(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('compare-data').textContent);
  var metricSel = document.getElementById('sc-metric'), xSel = document.getElementById('sc-x'), ySel = document.getElementById('sc-y');
  var el = document.getElementById('scatter'), info = document.getElementById('scatter-info'), note = document.getElementById('scatter-note');
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  D.scatter.forEach(function (s, i) { metricSel.add(new Option(s.metric, String(i))); });
  D.names.forEach(function (n, i) { xSel.add(new Option(n, String(i))); ySel.add(new Option(n, String(i))); });
  ySel.value = D.names.length > 1 ? '1' : '0';
  var plot = null, order = [], current = null;
  function show(k) {
    if (k === null || k === undefined) return;
    var f = order[k], s = current, x = +xSel.value, y = +ySel.value;
    var link = function (sys) {
      var h = s.hrefs[sys][f];
      return h ? '<a href="' + esc(h) + '">' + esc(D.names[sys]) + ' audio</a>' : '<span class="muted">' + esc(D.names[sys]) + ': audio not found</span>';
    };
    info.innerHTML = '<b>' + esc(s.files[f]) + '</b>: ' + esc(D.names[x]) + ' ' + s.values[x][f] + ', ' + esc(D.names[y]) + ' ' + s.values[y][f] + ' ' + link(x) + link(y);
  }
  function draw() {
    current = D.scatter[+metricSel.value];
    var x = +xSel.value, y = +ySel.value, s = current;
    order = s.files.map(function (_, i) { return i; }).sort(function (a, b) { return s.values[x][a] - s.values[x][b]; });
    var xs = order.map(function (i) { return s.values[x][i]; }), ys = order.map(function (i) { return s.values[y][i]; });
    var lo = Math.min(Math.min.apply(null, xs), Math.min.apply(null, ys)), hi = Math.max(Math.max.apply(null, xs), Math.max.apply(null, ys));
    note.textContent = s.files.length < s.total ? ('every ' + Math.ceil(s.total / s.files.length) + 'th of ' + s.total + ' files shown') : (s.total + ' files');
    if (plot) plot.destroy();
    plot = new uPlot({
      width: Math.min(680, el.clientWidth || 600), height: 420,
      scales: { x: { time: false, range: [lo, hi] }, y: { range: [lo, hi] } },
      axes: [{ label: D.names[x] + ' ' + s.metric }, { label: D.names[y] + ' ' + s.metric }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      series: [{}, { stroke: '#3b6fb6', paths: function () { return null; }, points: { show: true, size: 4, fill: '#3b6fb6' } },
        { stroke: '#999', dash: [4, 4], points: { show: false } }],
      hooks: { setCursor: [function (u) { if (u.cursor.idx !== null && u.cursor.idx !== undefined) show(u.cursor.idx); }] }
    }, [xs, ys, xs], el);
  }
  [metricSel, xSel, ySel].forEach(function (s) { s.addEventListener('change', draw); });
  draw();
  document.documentElement.setAttribute('data-ready', 'true');
})();`;

/** The whole page. */
export function renderCompareHtml(result: ComparisonResult, options: CompareHtmlOptions): string {
  const assets = uplotAssets();
  const names = result.systems.map((s) => s.name);
  const data = { names, scatter: scatterData(result, options.audioHref) };
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; media-src 'self' file:";
  const systems = result.systems
    .map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.source)}</td><td class="num">${s.files}</td><td class="num">${s.ok}</td></tr>`)
    .join('');
  const missing =
    result.missing.length === 0
      ? ''
      : `<p>${result.missing.length} files are in some reports only and were left out: ${result.missing
          .slice(0, 20)
          .map((f) => `${escapeHtml(f.file)} <span class="muted">(only ${escapeHtml(f.presentIn.join(', '))})</span>`)
          .join(', ')}${result.missing.length > 20 ? ', …' : ''}</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="tts-critic ${escapeHtml(options.version)}">
<title>tts-critic compare: ${escapeHtml(names.join(' vs '))}</title>
<style>${assets.style}</style>
<style>${STYLE}</style>
</head>
<body>
<header><h1>tts-critic compare</h1><p>${result.paired} files in every report${result.reference ? `; each system against ${escapeHtml(result.reference)}` : ''}.</p></header>
<main>
<section><h2>Systems</h2><table><thead><tr><th>name</th><th>report</th><th>files</th><th>ok</th></tr></thead><tbody>${systems}</tbody></table>${missing}
<p class="muted">p: Wilcoxon signed-rank, two-sided, Holm-adjusted over every comparison of the run; the same rank means not significantly different at ${formatNumber(result.alpha)}; effect: matched-pairs rank-biserial correlation, positive when b is better. ${escapeHtml(result.intervalNote)}</p></section>
${result.metrics.map((m, i) => metricSection(result, m, i)).join('\n')}
<section><h2>Per file</h2><p><label>metric <select id="sc-metric"></select></label><label>x <select id="sc-x"></select></label><label>y <select id="sc-y"></select></label> <span id="scatter-note" class="muted"></span></p>
<div id="scatter"></div><p id="scatter-info" class="muted">Point at a file to see its values and links to its audio.</p></section>
</main>
<footer class="muted">tts-critic ${escapeHtml(options.version)}</footer>
<script id="compare-data" type="application/json">${scriptJson(data)}</script>
<script>${inlineScript(assets.script)}</script>
<script>${inlineScript(SCRIPT)}</script>
</body>
</html>
`;
}

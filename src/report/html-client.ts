/**
 * The HTML report's stylesheet and in-page script, kept as text to be inlined (the report is
 * one file). The script reads the JSON block `#report-data` (see `HtmlViewData` in html.ts),
 * draws the histograms and the per-sub chart with uPlot (inlined before it), and renders the
 * file table lazily: only the rows in view (plus a margin) are in the DOM, between two spacer
 * rows that keep the scroll height right, so 5,000 files load as fast as 50. Sorting is by
 * header click (ascending, then descending; missing values always last), filtering by text
 * (file, ref, error) and status. When done it marks `report-ready` (Performance API) and sets `data-ready` on <html>, for tests.
 *
 * Written as plain ES2017 without a build step; the browser test (test/report/html-browser)
 * runs it in Chromium.
 */

export const PAGE_STYLE = `
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --ok: #1a7f37; --bad: #c62828; --bg2: #f5f7fa; --accent: #3b6fb6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 4px 0; }
main { padding: 8px 24px 24px; }
section { margin: 16px 0 24px; }
footer { padding: 8px 24px; color: var(--muted); font-size: 12px; }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
.muted { color: var(--muted); }
.bad { color: var(--bad); }
.warn { color: var(--bad); font-weight: 600; }
.counts { display: flex; gap: 8px; flex-wrap: wrap; }
.count { padding: 2px 10px; border-radius: 12px; background: var(--bg2); }
.count.ok { background: #e6f4ea; } .count.bad { background: #fdecea; color: var(--bad); }
table.facts th { text-align: left; padding: 1px 16px 1px 0; color: var(--muted); font-weight: 500; }
table.stats { border-collapse: collapse; }
table.stats th, table.stats td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.gates { list-style: none; padding: 0; margin: 0; }
ul.gates li { padding: 4px 0; }
.verdict { display: inline-block; min-width: 56px; text-align: center; border-radius: 4px; color: #fff; font-size: 12px; padding: 0 6px; }
li.pass .verdict { background: var(--ok); } li.fail .verdict { background: var(--bad); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.plot-card { border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
.plot-card.wide { margin-top: 12px; }
.worst-file { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.worst-file .value { font-weight: 400; margin-left: 8px; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
figure.side { margin: 0; min-width: 0; }
figcaption { font-size: 12px; color: var(--muted); margin-bottom: 2px; }
img.spec { display: block; width: 100%; height: 96px; image-rendering: pixelated; border-radius: 3px; }
.spec.missing { height: 96px; background: var(--bg2); color: var(--muted); display: flex; align-items: center; justify-content: center; }
audio { width: 100%; height: 32px; margin-top: 4px; }
.problem { color: var(--bad); font-size: 12px; margin: 2px 0; }
.table-tools { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
#filter { width: 320px; padding: 4px 8px; }
.table-scroll { max-height: 70vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
#files-table { border-collapse: separate; border-spacing: 0; table-layout: fixed; width: max-content; min-width: 100%; }
#files-table th { position: sticky; top: 0; background: var(--bg2); z-index: 1; border-bottom: 1px solid var(--line); padding: 0; text-align: left; }
#files-table th button { all: unset; cursor: pointer; display: block; padding: 4px 8px; width: 100%; box-sizing: border-box; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#files-table th[aria-sort=ascending] button::after { content: " ▲"; }
#files-table th[aria-sort=descending] button::after { content: " ▼"; }
#files-table td { height: 26px; padding: 0 8px; border-bottom: 1px solid #eef1f5; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#files-table tr.spacer td { padding: 0; border: 0; height: 0; }
#files-table td.num { text-align: right; }
#files-table td.regressed { color: var(--bad); font-weight: 600; }
.st { border-radius: 3px; padding: 0 6px; font-size: 12px; }
.st-ok { background: #e6f4ea; color: var(--ok); } .st-error, .st-unpaired { background: #fdecea; color: var(--bad); }
`;

export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var BAR = '#3b6fb6', GEN = '#d9822b';

  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function widthOf(el) { return Math.max(240, Math.floor(el.clientWidth || 320)); }
  function ticks(u, splits) { return splits.map(fmt); }
  function zeroTo(pad) {
    return function (u, min, max) { return [0, max > 0 ? max * pad : 1]; };
  }

  // ---- plots ----------------------------------------------------------------------------------
  var plots = [];
  D.histograms.forEach(function (h, i) {
    var el = document.getElementById('hist-' + i);
    var lefts = h.edges.slice(0, -1);
    var last = h.edges.length - 1;
    var plot = new uPlot({
      width: widthOf(el), height: 170,
      scales: { x: { time: false, range: [h.edges[0], h.edges[last]] }, y: { range: zeroTo(1.1) } },
      axes: [{ label: h.metric, labelSize: 18, size: 34, values: ticks }, { label: 'files', labelSize: 18, size: 44 }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      series: [
        { label: h.metric },
        { label: 'files', fill: BAR + 'cc', stroke: BAR, width: 1, points: { show: false },
          paths: uPlot.paths.bars({ size: [1, Infinity, 1], align: 1 }) }
      ]
    }, [lefts, h.counts], el);
    plots.push({ el: el, plot: plot, height: 170 });
  });

  if (D.subs) {
    var el = document.getElementById('subs-plot');
    var names = D.subs.names;
    var xs = names.map(function (_, i) { return i; });
    var series = [{ label: 'sub', value: function (u, v) { return v === null ? '' : names[v]; } }];
    var axes = [{ splits: function () { return xs; }, values: function (u, splits) { return splits.map(function (i) { return names[i] === undefined ? '' : names[i]; }); }, grid: { show: false } }];
    var scales = { x: { time: false, range: [-0.5, names.length - 0.5] } };
    var data = [xs];
    if (D.subs.fm) {
      series.push({ label: 'mean fm', scale: 'fm', fill: BAR + 'cc', stroke: BAR, width: 1, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.38, 48], align: D.subs.gen ? -1 : 0 }), value: function (u, v) { return fmt(v); } });
      axes.push({ scale: 'fm', label: 'mean fm', labelSize: 18, size: 56, values: ticks });
      scales.fm = { range: zeroTo(1.08) };
      data.push(D.subs.fm);
    }
    if (D.subs.gen) {
      series.push({ label: 'mean gen', scale: 'gen', fill: GEN + 'cc', stroke: GEN, width: 1, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.38, 48], align: D.subs.fm ? 1 : 0 }), value: function (u, v) { return fmt(v); } });
      axes.push({ scale: 'gen', label: 'mean gen', labelSize: 18, size: 56, side: 1, grid: { show: false }, values: ticks });
      scales.gen = { range: zeroTo(1.08) };
      data.push(D.subs.gen);
    }
    var subsPlot = new uPlot({ width: widthOf(el), height: 230, scales: scales, axes: axes, series: series, legend: { live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } } }, data, el);
    plots.push({ el: el, plot: subsPlot, height: 230 });
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: widthOf(p.el), height: p.height }); });
      render();
    }, 100);
  });

  // ---- the file table -------------------------------------------------------------------------
  var T = D.table;
  var ROW = 26, MARGIN = 12;
  var scroller = document.getElementById('table-scroll');
  var body = document.getElementById('files-body');
  var headRow = document.getElementById('files-head');
  var cols = document.getElementById('files-cols');
  var filterInput = document.getElementById('filter');
  var statusSelect = document.getElementById('status-filter');
  var regressedBox = document.getElementById('regressed-only');
  var shownCount = document.getElementById('shown-count');
  var WIDTH = { text: 22, number: 7.5, status: 6.5, change: 7.5 };
  var regressed = {};
  var anyRegressed = {};
  Object.keys(T.regressed).forEach(function (key) {
    var set = {};
    T.regressed[key].forEach(function (i) { set[i] = true; anyRegressed[i] = true; });
    regressed[key] = set;
  });

  var all = [];
  for (var i = 0; i < D.rows; i++) all.push(i);
  var order = all.slice();
  var view = all.slice();
  var sortKey = null, sortDir = 1;

  cols.innerHTML = T.columns.map(function (c) {
    var w = c.key === 'file' || c.key === 'error' ? 30 : WIDTH[c.kind];
    return '<col style="width:' + w + 'em">';
  }).join('');
  headRow.innerHTML = T.columns.map(function (c) {
    return '<th aria-sort="none" data-key="' + esc(c.key) + '" title="' + esc(c.title) + '"><button type="button">' + esc(c.label) + '</button></th>';
  }).join('');

  function cellHtml(c, i) {
    var v = T.values[c.key][i];
    if (c.kind === 'status') return '<td><span class="st st-' + esc(v) + '">' + esc(v) + '</span></td>';
    if (c.kind === 'number') return '<td class="num">' + fmt(v) + '</td>';
    if (c.kind === 'change') {
      var text = v === null ? '' : (v > 0 ? '+' : '') + v + '%';
      return '<td class="num' + (regressed[c.key][i] ? ' regressed' : '') + '">' + text + '</td>';
    }
    return '<td title="' + esc(v) + '">' + esc(v) + '</td>';
  }

  function render() {
    // Before the first rows are in, the scroller is only as high as its header: plan for a window.
    var top = scroller.scrollTop, height = Math.max(scroller.clientHeight, window.innerHeight || 800);
    var first = Math.max(0, Math.floor(top / ROW) - MARGIN);
    var last = Math.min(view.length, Math.ceil((top + height) / ROW) + MARGIN);
    var span = T.columns.length;
    var html = '<tr class="spacer"><td colspan="' + span + '" style="height:' + first * ROW + 'px"></td></tr>';
    for (var r = first; r < last; r++) {
      var i = view[r];
      html += '<tr data-row="' + i + '">';
      for (var c = 0; c < span; c++) html += cellHtml(T.columns[c], i);
      html += '</tr>';
    }
    html += '<tr class="spacer"><td colspan="' + span + '" style="height:' + (view.length - last) * ROW + 'px"></td></tr>';
    body.innerHTML = html;
  }

  function applyFilter() {
    var q = filterInput.value.toLowerCase();
    var status = statusSelect.value;
    var onlyRegressed = regressedBox ? regressedBox.checked : false;
    var file = T.values.file, ref = T.values.ref, err = T.values.error, st = T.values.status;
    view = order.filter(function (i) {
      if (status && st[i] !== status) return false;
      if (onlyRegressed && !anyRegressed[i]) return false;
      if (!q) return true;
      return file[i].toLowerCase().indexOf(q) >= 0 || (ref && ref[i].toLowerCase().indexOf(q) >= 0) || err[i].toLowerCase().indexOf(q) >= 0;
    });
    shownCount.textContent = view.length === D.rows ? D.rows + ' files' : view.length + ' of ' + D.rows + ' files';
    render();
  }

  function sortBy(key) {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
    var values = T.values[key];
    order = all.slice().sort(function (a, b) {
      var x = values[a], y = values[b];
      if (x === y) return a - b;
      if (x === null || x === '') return 1;
      if (y === null || y === '') return -1;
      return (x < y ? -1 : 1) * sortDir;
    });
    Array.prototype.forEach.call(headRow.children, function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-key') === key ? (sortDir === 1 ? 'ascending' : 'descending') : 'none');
    });
    applyFilter();
  }

  headRow.addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (th) sortBy(th.getAttribute('data-key'));
  });
  filterInput.addEventListener('input', applyFilter);
  statusSelect.addEventListener('change', applyFilter);
  if (regressedBox) regressedBox.addEventListener('change', applyFilter);
  var pending = false;
  scroller.addEventListener('scroll', function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; render(); });
  });

  applyFilter();
  if (window.performance && performance.mark) performance.mark('report-ready');
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;

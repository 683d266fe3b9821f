/**
 * The human and CI views from the shared result types: main metrics found generically, the
 * histogram binning, the spectrogram PNG, the Markdown summary, GitHub annotation escaping,
 * the HTML page's data and escaping, and which formats an extension names.
 */
import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { columnsFor, mainMetrics, metricDirection } from '../../src/report/columns.js';
import { formatFromPath, isReadableFormat, REPORT_FORMATS } from '../../src/report/formats.js';
import { escapeData, escapeProperty, githubAnnotations, workflowCommand } from '../../src/report/github.js';
import { histogram } from '../../src/report/histogram.js';
import { escapeHtml, htmlViewData, renderHtml } from '../../src/report/html.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.js';
import { readReport } from '../../src/report/read.js';
import { spectrogramImage } from '../../src/report/spectrogram-image.js';
import { summarize } from '../../src/report/summary.js';
import { failedResult, okResult, tempDir } from './helpers.js';
import { sampleResults, viewResults } from './view-fixtures.js';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resultToRow } from '../../src/report/rows.js';
import { createReportWriter } from '../../src/report/writer.js';
import { makeModel } from './helpers.js';
import { parseJunit } from './junit-schema.js';

describe('mainMetrics', () => {
  const subs = ['s', 'p2'];

  it('is the contract metrics for a plain run, without per-sub, per-layer or descriptive columns', () => {
    const columns = columnsFor(subs, { s: 2, p2: 1 });
    expect(mainMetrics(columns)).toEqual(['fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw']);
  });

  it('picks up a metric added to the output later, but not measurements with a unit', () => {
    const columns = [...columnsFor(subs), 'future_score', 'ref_rate', 'syn_channels', 'delay_ms'];
    expect(mainMetrics(columns)).toEqual(['fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw', 'future_score']);
  });

  it('ranks worst files in the worse direction of the metric', () => {
    expect(metricDirection('fake')).toBe('higher-is-better');
    const rows = viewResults(sampleResults()).rows;
    const byFake = summarize(rows, { worstBy: 'fake', worstCount: 2 });
    // okResult's fake grows with fm, so the lowest fake is u1's.
    expect(byFake.worst.files.map((f) => f.syn)).toEqual(['out/u1.wav', 'out/u2.wav']);
    expect(summarize(rows, { worstCount: 2 }).worst.files.map((f) => f.syn)).toEqual(['out/u6.wav', 'out/u5.wav']);
  });
});

describe('histogram', () => {
  it('counts every value once, in equal-width bins covering min..max', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
    const { edges, counts } = histogram(values);
    expect(counts).toHaveLength(10);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(edges[0]).toBe(Math.min(...values));
    expect(edges[edges.length - 1]).toBe(Math.max(...values));
    for (let i = 0; i < counts.length; i++) {
      const inBin = values.filter((v) => v >= edges[i]! && (i === counts.length - 1 ? v <= edges[i + 1]! : v < edges[i + 1]!)).length;
      expect(inBin).toBe(counts[i]);
    }
  });

  it('gives one bin for equal values and nothing for none', () => {
    expect(histogram([2, 2, 2])).toEqual({ edges: [1.5, 2.5], counts: [3] });
    expect(histogram([])).toEqual({ edges: [], counts: [] });
    expect(histogram(Array.from({ length: 10000 }, (_, i) => i)).counts).toHaveLength(40);
  });
});

describe('spectrogramImage', () => {
  it('is a PNG with low bands at the bottom, averaged down to the width asked for', () => {
    const frames = 40;
    const bins = 8;
    const data = new Float32Array(frames * bins).fill(-11);
    // Band 0 loud in the first half only.
    for (let f = 0; f < frames / 2; f++) data[f * bins] = 0;
    const uri = spectrogramImage({ frames, bins, data }, { max: 0, maxWidth: 10 });
    expect(uri.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(uri.slice('data:image/png;base64,'.length), 'base64'));
    expect([png.width, png.height]).toEqual([10, bins]);
    const pixel = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(pixel(0, bins - 1)).toEqual([253, 231, 37]); // loudest: viridis yellow, bottom row
    expect(pixel(9, bins - 1)).toEqual([68, 1, 84]); // quiet half: darkest
    expect(pixel(0, 0)).toEqual([68, 1, 84]); // a high band
  });
});

describe('Markdown summary', () => {
  it('has the counts, gates, statistics of every main metric, worst files and failures', () => {
    const results = viewResults(sampleResults(), { gates: ['mean(fm) > 0.3', 'max(fm) > 10'], extra: { mel_dtw: 0.5 } });
    const md = renderMarkdown(results);
    expect(md).toMatch(/^## ❌ tts-critic: 8 files: 6 ok, 1 error, 1 unpaired/);
    expect(md).toContain('| ❌ failed | `mean(fm) > 0.3` | gate "mean\\(fm\\) \\> 0\\.3" failed: mean\\(fm\\) = 0\\.35 over 6 files');
    expect(md).toContain('| ✅ passed | `max(fm) > 10` |');
    for (const metric of ['fm', 'gen', 'real', 'fake', 'disc', 'mel\\_l1', 'mel\\_dtw']) expect(md).toContain(`| ${metric} | 6 |`);
    expect(md).toContain('### Worst 5 by fm (highest first)');
    expect(md).toContain('| 1 | out/u6\\.wav | 0.60000 |');
    expect(md).toContain('### Not scored (2)');
    expect(md).toContain('| unpaired | ref/lonely\\.wav | ref/lonely\\.wav: no synthesized file with this name |');
  });

  it('caps long lists and keeps hostile names from forming Markdown or HTML', () => {
    const many = Array.from({ length: 30 }, (_, i) => failedResult(`out/f${i}.wav`, `out/f${i}.wav: broken`));
    const md = renderMarkdown(viewResults([okResult('out/a.wav', 0.1), ...many]), { maxListed: 5 });
    expect(md).toContain('… and 25 more');
    expect(escapeMarkdown('a|b <img src=x> [l](u) *x* `c`\nd')).toBe('a\\|b &lt;img src=x\\> \\[l\\]\\(u\\) \\*x\\* \\`c\\`\\\\nd');
  });
});

describe('GitHub workflow commands', () => {
  it('escapes the message and properties by the runner rules', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    expect(workflowCommand('error', { file: 'out/a,b:c.wav', title: 'x' }, 'line1\nline2')).toBe('::error file=out/a%2Cb%3Ac.wav,title=x::line1%0Aline2');
  });

  it('annotates failed gates, regressions and failed files, capping the file ones', () => {
    const before = sampleResults();
    const after = [okResult('out/u1.wav', 0.2), ...before.slice(1)];
    const results = viewResults(after, { gates: ['mean(fm) > 0.3', 'max(fm) > 10'], baseline: before });
    const lines = githubAnnotations(results, { filePath: (f) => `repo/${f}` });
    expect(lines[0]!.startsWith('::error title=tts-critic gate failed%3A mean(fm) > 0.3::gate "mean(fm) > 0.3" failed')).toBe(true);
    expect(lines.filter((l) => l.includes('gate failed'))).toHaveLength(1);
    expect(lines).toContain('::error file=repo/out/u1.wav,title=tts-critic%3A fm regressed::out/u1.wav: fm 0.1 -> 0.2 (+100%25, allowed 5%25)');
    expect(lines).toContain('::error file=repo/out/bad.wav,title=tts-critic%3A error::out/bad.wav: data chunk declares 64000 bytes but the file ends after 1000');
    expect(lines).toContain('::error file=repo/ref/lonely.wav,title=tts-critic%3A unpaired::ref/lonely.wav: no synthesized file with this name');
    const capped = githubAnnotations(results, { maxFiles: 1 });
    expect(capped).toHaveLength(3);
    expect(capped[2]).toMatch(/… and 3 more failed files/);
    // Regressions beyond those the comparison lists count too.
    const unlisted = { ...results, baseline: { ...results.baseline!, regressionCount: results.baseline!.regressionCount + 2000 } };
    expect(githubAnnotations(unlisted, { maxFiles: 1 })[2]).toMatch(/… and 2003 more failed files/);
    // So do failures beyond those the summary lists.
    const failing = { ...results, summary: { ...results.summary, files: results.summary.files + 500 } };
    expect(githubAnnotations(failing, { maxFiles: 1 })[2]).toMatch(/… and 503 more failed files/);
  });
});

describe('HTML page', () => {
  it('embeds the table, histograms of every main metric (also new ones) and the per-sub means', () => {
    const before = sampleResults();
    const after = [okResult('out/u1.wav', 0.2), ...before.slice(1)];
    const data = htmlViewData(viewResults(after, { baseline: before, extra: { mel_dtw: 0.5, offset_ms: 3 } }));
    expect(data.rows).toBe(8);
    expect(data.histograms.map((h) => h.metric)).toEqual(['fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw']);
    for (const h of data.histograms) expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    const keys = data.table.columns.map((c) => c.key);
    expect(keys).toEqual(['file', 'ref', 'status', 'm:fm', 'm:gen', 'm:real', 'm:fake', 'm:disc', 'm:mel_l1', 'm:mel_dtw', 'd:fm', 'd:mel_l1', 'n:ref_seconds', 'n:syn_seconds', 'n:ref_sample_rate', 'n:syn_sample_rate', 'n:windows', 't:ref_format', 't:syn_format', 'error']);
    expect(data.table.values['d:fm']![0]).toBe(100);
    expect(data.table.regressed['d:fm']).toEqual([0]);
    expect(data.table.values['status']).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error', 'unpaired']);
    // okResult: fm_<sub i> = fm·(i+1); fm is 0.2, 0.2, 0.3 … 0.6 here, mean 2.2/6.
    expect(data.subs!.names).toEqual(['s', 'p2', 'r1024']);
    expect(data.subs!.fm).toEqual([1, 2, 3].map((k) => Number(((2.2 / 6) * k).toPrecision(6))));
  });

  it('a reference-free run: gen and fake only, worst by gen, no ref column', () => {
    const results = viewResults([1, 2, 3].map((i) => okResult(`out/s${i}.wav`, i / 10, '', true)));
    const data = htmlViewData(results);
    expect(data.histograms.map((h) => h.metric)).toEqual(['gen', 'fake']);
    expect(data.subs!.fm).toBeNull();
    expect(data.subs!.gen).not.toBeNull();
    expect(data.table.columns.map((c) => c.key)).toEqual(['file', 'status', 'm:gen', 'm:fake', 'n:syn_seconds', 't:syn_format', 'error']);
    const html = renderHtml(results);
    expect(html).toContain('Worst 3 by gen (highest first)');
    expect(html).toContain('<figcaption>ref: none</figcaption>');
  });

  it('cannot be broken out of by hostile file names or messages', () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
    const html = renderHtml(viewResults([okResult(`out/${evil}.wav`, 0.1), failedResult('out/x.wav', `out/x.wav: ${evil}`)]));
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    // The only <script> elements are the data block and the two inlined scripts.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(escapeHtml(`a&<>"'`)).toBe('a&#38;&#60;&#62;&#34;&#39;');
  });
});

describe('formats', () => {
  it('every format has an extension; only scores can be read back', async () => {
    expect(['a.csv', 'a.JSON', 'a.jsonl', 'a.ndjson', 'a.html', 'a.htm', 'a.xml', 'a.md', 'a.markdown'].map(formatFromPath)).toEqual([
      'csv', 'json', 'jsonl', 'jsonl', 'html', 'html', 'junit', 'markdown', 'markdown',
    ]);
    expect(REPORT_FORMATS.filter(isReadableFormat)).toEqual(['csv', 'json', 'jsonl']);
    const t = tempDir();
    try {
      await writeFile(t.path('r.html'), '<!DOCTYPE html>');
      await expect(readReport(t.path('r.html'))).rejects.toThrow(/a html report is a view, not scores; give the CSV, JSON or JSONL scores/);
    } finally {
      t.cleanup();
    }
  });
});

describe('whole-document formats through the writer', () => {
  const model = makeModel();
  const rows = sampleResults().map((r) => resultToRow(r, model));

  it('writes nothing until finish, then the document with the verdicts handed over', async () => {
    const t = tempDir();
    try {
      const writer = createReportWriter({ format: 'junit', output: t.path('r.xml'), model, version: '1.0.0' });
      for (const row of rows) writer.writeRow(row);
      expect(existsSync(t.path('r.xml'))).toBe(false);
      const results = viewResults(sampleResults(), { gates: ['mean(fm) > 0.3'] });
      await writer.finish(undefined, { gates: results.gates });
      const parsed = parseJunit(readFileSync(t.path('r.xml'), 'utf8'));
      expect([parsed.tests, parsed.failures]).toEqual([9, 3]);
      expect(parsed.suites[1]!.cases[0]!.name).toBe('mean(fm) > 0.3');
    } finally {
      t.cleanup();
    }
  });

  it('an interrupted run leaves a complete document that says so; one with no row leaves nothing', async () => {
    const t = tempDir();
    try {
      for (const [format, file] of [['html', 'r.html'], ['junit', 'r.xml'], ['markdown', 'r.md']] as const) {
        const writer = createReportWriter({ format, output: t.path(file), model, version: '1.0.0' });
        writer.writeRow(rows[0]!);
        writer.writeRow(rows[6]!);
        await writer.abort();
        const text = readFileSync(t.path(file), 'utf8');
        expect([format, /interrupted/i.test(text)]).toEqual([format, true]);
        if (format === 'html') expect(text.trimEnd().endsWith('</html>')).toBe(true);
        if (format === 'junit') expect(parseJunit(text).suites[0]!.properties['interrupted']).toMatch(/^true/);
        if (format === 'markdown') expect(text).toContain('2 files: 1 ok, 1 error, 0 unpaired \\(interrupted');
        const empty = createReportWriter({ format, output: t.path(`empty-${file}`), model, version: '1.0.0' });
        await empty.abort();
        expect(existsSync(t.path(`empty-${file}`))).toBe(false);
      }
    } finally {
      t.cleanup();
    }
  });
});

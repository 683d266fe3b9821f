import { describe, expect, it } from '@jest/globals';
import type { Row } from '../../src/report/columns.js';
import { resultToRow } from '../../src/report/rows.js';
import { describe as describeValues, mean, percentile } from '../../src/report/stats.js';
import { LISTED_FAILURES, failureCount, formatCell, formatSummary, oneLine, summarize } from '../../src/report/summary.js';
import { failedResult, makeModel, okResult } from './helpers.js';

const model = makeModel();

describe('percentile (linear interpolation, numpy default)', () => {
  // Expected values from numpy.percentile(x, p) with the default method.
  const x = [0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4];
  it.each([
    [0, 0.1],
    [10, 0.16000000000000003],
    [25, 0.25],
    [50, 0.4],
    [90, 0.78],
    [95, 0.8399999999999999],
    [99, 0.8879999999999999],
    [100, 0.9],
  ])('p%d', (p, expected) => {
    expect(percentile(x, p)).toBeCloseTo(expected, 14);
  });

  it('matches numpy on an even count and on one value', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 95)).toBeCloseTo(3.8499999999999996, 14);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('mean is compensated and null for nothing', () => {
    expect(mean(x)).toBeCloseTo(0.4428571428571429, 15);
    expect(mean([1e16, 1, -1e16])).toBe(1 / 3);
    expect(mean([])).toBeNull();
    expect(describeValues([3, 1, 2])).toEqual({ count: 3, mean: 2, median: 2, p95: 2.9, min: 1, max: 3 });
  });
});

function rows(): Row[] {
  return [
    resultToRow(okResult('out/a.wav', 0.2), model),
    resultToRow(okResult('out/b.wav', 0.9), model),
    resultToRow(okResult('out/c.wav', 0.4), model),
    resultToRow(failedResult('out/d.wav', 'cannot decode out/d.wav: not a RIFF file'), model),
    resultToRow(failedResult('', 'no synthesized file', 'unpaired', 'ref/e.wav'), model),
  ];
}

describe('summarize', () => {
  it('counts statuses and describes the main metrics over ok rows only', () => {
    const summary = summarize(rows());
    expect(summary).toMatchObject({ files: 5, ok: 3, error: 1, unpaired: 1, interrupted: false });
    expect(Object.keys(summary.metrics)).toEqual(['fm', 'gen', 'disc', 'mel_l1', 'mel_dtw']);
    expect(summary.metrics['fm']).toEqual({ count: 3, mean: 0.5, median: 0.4, p95: 0.85, min: 0.2, max: 0.9 });
    expect(summary.metrics['mel_l1']!.max).toBe(1.8);
  });

  it('adds metrics asked for, lists the worst files by fm and every failure', () => {
    const summary = summarize(rows(), { metrics: ['fm_p2', 'fm'], worstCount: 2 });
    expect(Object.keys(summary.metrics)).toEqual(['fm', 'gen', 'disc', 'mel_l1', 'mel_dtw', 'fm_p2']);
    expect(summary.metrics['fm_p2']!.max).toBe(1.8);
    expect(summary.worst).toEqual({
      metric: 'fm',
      files: [
        { ref: 'ref/b.wav', syn: 'out/b.wav', value: 0.9 },
        { ref: 'ref/c.wav', syn: 'out/c.wav', value: 0.4 },
      ],
    });
    expect(summary.errors).toEqual([
      { ref: '', syn: 'out/d.wav', status: 'error', error: 'cannot decode out/d.wav: not a RIFF file' },
      { ref: 'ref/e.wav', syn: '', status: 'unpaired', error: 'no synthesized file' },
    ]);
  });

  it('ranks by gen in syn-only runs, where fm is null', () => {
    const synOnly = [resultToRow(okResult('out/a.wav', 0.3, '', true), model), resultToRow(okResult('out/b.wav', 0.6, '', true), model)];
    const summary = summarize(synOnly);
    expect(summary.metrics['fm']).toEqual({ count: 0, mean: null, median: null, p95: null, min: null, max: null });
    expect(summary.worst.metric).toBe('gen');
    expect(summary.worst.files[0]!.syn).toBe('out/b.wav');
  });

  it('has no worst files when nothing was scored', () => {
    const summary = summarize([resultToRow(failedResult('out/x.wav', 'bad'), model)]);
    expect(summary.worst).toEqual({ metric: null, files: [] });
  });

  it('lists the first failures and counts them all', () => {
    const many = Array.from({ length: LISTED_FAILURES + 20 }, (_, i) => resultToRow(failedResult(`out/${String(i).padStart(5, '0')}.wav`, 'bad'), model));
    const summary = summarize([...rows(), ...many]);
    expect([summary.error, summary.unpaired, failureCount(summary)]).toEqual([LISTED_FAILURES + 21, 1, LISTED_FAILURES + 22]);
    expect(summary.errors).toHaveLength(LISTED_FAILURES);
    expect(summary.errors.slice(0, 3).map((e) => e.syn)).toEqual(['out/d.wav', '', 'out/00000.wav']);
    const text = formatSummary(summary);
    expect(text).toContain(`not scored (${LISTED_FAILURES + 22}):`);
    expect(text).toContain(`... and ${LISTED_FAILURES + 12} more`);
  });

  it('is plain JSON (survives a JSON round trip unchanged)', () => {
    const summary = summarize(rows());
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('formatSummary', () => {
  it('prints counts, an aligned table, worst files and failures', () => {
    const text = formatSummary(summarize(rows()));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('tts-critic: 5 files: 3 ok, 1 error, 1 unpaired');
    expect(lines[1]).toMatch(/^metric\s+n\s+mean\s+median\s+p95\s+min\s+max$/);
    const fm = lines.find((l) => l.startsWith('fm '))!;
    expect(fm.split(/\s+/)).toEqual(['fm', '3', '0.50000', '0.40000', '0.85000', '0.20000', '0.90000']);
    // Columns line up: every table row has the header's length.
    for (const line of lines.slice(1, 6)) expect(line.length).toBe(lines[1]!.length);
    expect(text).toContain('worst by fm:');
    expect(text).toMatch(/0\.90000 {2}out\/b\.wav/);
    expect(text).toContain('not scored (2):');
    expect(text).toContain('error     out/d.wav: cannot decode out/d.wav: not a RIFF file');
    expect(text).toContain('unpaired  ref/e.wav: no synthesized file');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('marks an interrupted summary and caps the failure list', () => {
    const many = Array.from({ length: 13 }, (_, i) => resultToRow(failedResult(`out/${i}.wav`, 'bad'), model));
    const text = formatSummary({ ...summarize(many), interrupted: true }, { maxErrors: 10 });
    expect(text).toContain('(interrupted');
    expect(text).toContain('... and 3 more');
  });

  it('escapes control characters in file names and messages', () => {
    expect(oneLine('a\nb\r\tc\u001b[31m\u009b')).toBe('a\\nb\\r\\tc\\x1b[31m\\x9b');
    const text = formatSummary(summarize([resultToRow(failedResult('out/\u001b[2J.wav', 'line1\nline2'), model)]));
    expect(text).not.toContain('\u001b');
    expect(text).toContain('out/\\x1b[2J.wav: line1\\nline2');
  });

  it('formats cells compactly', () => {
    expect(formatCell(null)).toBe('-');
    expect(formatCell(0)).toBe('0');
    expect(formatCell(0.123456)).toBe('0.12346');
    expect(formatCell(1234.5678)).toBe('1234.6');
    expect(formatCell(0.00001234)).toBe('1.234e-5');
    expect(formatCell(123456789)).toBe('1.235e+8');
  });
});

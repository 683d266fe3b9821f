import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import { evaluateGate, evaluateGates, parseGate, parseGates, type Gate } from '../../src/quality/gates.js';
import { columnsFor, type Row } from '../../src/report/columns.js';

const SUBS = ['s', 'p2', 'p3', 'r1024'];
const COLUMNS = columnsFor(SUBS, { s: 2 });

function row(syn: string, fm: number | null, extra: Record<string, number | null> = {}, status = 'ok'): Row {
  return { ref: `ref/${syn}`, syn, status, error: '', fm, ...extra };
}

describe('parseGate: accepted forms', () => {
  it.each<[string, Gate['target'], string, number]>([
    ['fm > 0.4', { kind: 'each', column: 'fm' }, '>', 0.4],
    ['fm>=0.4', { kind: 'each', column: 'fm' }, '>=', 0.4],
    ['  mel_l1 <  2 ', { kind: 'each', column: 'mel_l1' }, '<', 2],
    ['gen <= -1e-3', { kind: 'each', column: 'gen' }, '<=', -0.001],
    ['windows == 3', { kind: 'each', column: 'windows' }, '==', 3],
    ['fake != .5', { kind: 'each', column: 'fake' }, '!=', 0.5],
    ['fm_p2 > 1', { kind: 'each', column: 'fm_p2' }, '>', 1],
    ['gen_r1024 > +1.5E2', { kind: 'each', column: 'gen_r1024' }, '>', 150],
    ['fm_s_1 > 0.1', { kind: 'each', column: 'fm_s_1' }, '>', 0.1],
    ['mean(fm) > 0.3', { kind: 'aggregate', fn: 'mean', percentile: null, column: 'fm' }, '>', 0.3],
    ['MEAN( fm )>0.3', { kind: 'aggregate', fn: 'mean', percentile: null, column: 'fm' }, '>', 0.3],
    ['median(mel_l1) >= 1', { kind: 'aggregate', fn: 'median', percentile: null, column: 'mel_l1' }, '>=', 1],
    ['p95(fm_p3) < 2', { kind: 'aggregate', fn: 'percentile', percentile: 95, column: 'fm_p3' }, '<', 2],
    ['p0(fm) < 2', { kind: 'aggregate', fn: 'percentile', percentile: 0, column: 'fm' }, '<', 2],
    ['p100(fm) < 2', { kind: 'aggregate', fn: 'percentile', percentile: 100, column: 'fm' }, '<', 2],
    ['max(disc) > 9', { kind: 'aggregate', fn: 'max', percentile: null, column: 'disc' }, '>', 9],
    ['min(fake_s) < 0', { kind: 'aggregate', fn: 'min', percentile: null, column: 'fake_s' }, '<', 0],
    ['count(fm > 0.4) > 3', { kind: 'count', column: 'fm', op: '>', threshold: 0.4 }, '>', 3],
    ['count( gen_p2<=1 )>=10', { kind: 'count', column: 'gen_p2', op: '<=', threshold: 1 }, '>=', 10],
  ])('%s', (text, target, op, threshold) => {
    const gate = parseGate(text, COLUMNS);
    expect(gate).toEqual({ source: text.trim(), target, op, threshold });
  });
});

describe('parseGate: errors say what was expected', () => {
  const example = '(example: --fail-if "mean(fm) > 0.3")';
  it.each([
    ['mean(fm) >', 'expected a number after ">"'],
    ['mean(fm) > abc', 'expected a number after ">", got "abc"'],
    ['fm > 0.4x', 'expected a number after ">", got "0.4x"'],
    ['fm > NaN', 'expected a number after ">", got "NaN"'],
    ['fm > Infinity', 'expected a number after ">", got "Infinity"'],
    ['fm > 1e999', 'the number after ">" is out of range: "1e999"'],
    ['mean(fm) 0.3', 'expected a comparison (> >= < <= == !=) after "mean(fm)", got "0.3"'],
    ['fm', 'expected a comparison (> >= < <= == !=) after "fm", got the end'],
    ['fm = 0.3', '"=" is not a comparison, use "==" after "fm"'],
    ['fm ! 0.3', '"!" is not a comparison, use "!=" after "fm"'],
    ['mean(fm > 0.3', 'expected ")" after "fm", got ">"'],
    ['mean() > 0.3', 'expected a column name inside mean(...), got ")"'],
    ['avg(fm) > 0.3', 'unknown aggregate "avg": expected mean, median, min, max, p<N> (like p95) or count'],
    ['p101(fm) > 0.3', 'a percentile must be p0 to p100, got "p101"'],
    ['count(fm) > 3', 'count needs a condition, e.g. count(fm > 0.4) > 3'],
    ['count(fm > 0.4 > 3', 'expected ")" after "0.4", got ">"'],
    ['fm > 0.3 extra', 'unexpected "extra" after the number 0.3'],
    ['fm > 0.3 )', 'unexpected ")" after the number 0.3'],
    ['', 'expected a column or an aggregate such as mean(fm), then a comparison and a number'],
    ['> 0.3', 'expected a column or an aggregate such as mean(fm) at the start, got ">"'],
    ['status > 0', 'column "status" holds text, not numbers'],
    ['mean(ref) > 0', 'column "ref" holds text, not numbers'],
  ])('%j', (text, what) => {
    expect(() => parseGate(text, COLUMNS)).toThrow(new UsageError(`invalid --fail-if "${text.trim()}": ${what} ${example}`));
  });

  it('names unknown columns, suggests a near one and lists the valid ones', () => {
    const attempt = (): Gate => parseGate('mean(fn) > 0.3', COLUMNS);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/unknown column "fn" \(did you mean "fm"\?\)/);
    expect(attempt).toThrow(/expected one of sample_rate, ref_seconds, syn_seconds, ref_sample_rate, syn_sample_rate, windows, fm, gen, real, fake, disc, mel_l1/);
    expect(attempt).toThrow(/with <sub> one of s, p2, p3, r1024/);
    expect(() => parseGate('fm_p5 > 1', COLUMNS)).toThrow(/unknown column "fm_p5"/);
    // Per-layer columns exist only when the run has them.
    expect(() => parseGate('fm_s_0 > 1', columnsFor(SUBS))).toThrow(/unknown column "fm_s_0"/);
    expect(() => parseGate('xyzzy > 1', COLUMNS)).not.toThrow(/did you mean/);
  });

  it('parses a list of gates in order', () => {
    expect(parseGates(['fm > 1', 'mean(gen) < 2'], COLUMNS).map((g) => g.source)).toEqual(['fm > 1', 'mean(gen) < 2']);
  });
});

const ROWS: Row[] = [
  row('out/a.wav', 0.91),
  row('out/b.wav', 0.2),
  row('out/c.wav', 0.55),
  row('out/d.wav', 0.41),
  row('out/e.wav', 0.1),
  row('out/f.wav', null),
  // Not ok: never counted, even with a value.
  row('out/g.wav', 5, {}, 'error'),
  row('out/h.wav', 7, {}, 'unpaired'),
];

const gate = (text: string): Gate => parseGate(text, COLUMNS);

describe('evaluateGate: per-file gates', () => {
  it('fails when any ok file matches, listing the worst first', () => {
    const result = evaluateGate(gate('fm > 0.4'), ROWS);
    expect(result.passed).toBe(false);
    expect(result.value).toBe(3);
    expect(result.considered).toBe(5);
    expect(result.missing).toBe(1);
    expect(result.worst).toEqual([
      { file: 'out/a.wav', value: 0.91 },
      { file: 'out/c.wav', value: 0.55 },
      { file: 'out/d.wav', value: 0.41 },
    ]);
    expect(result.message).toBe('gate "fm > 0.4" failed: 3 files above 0.4; worst: out/a.wav (0.91), out/c.wav (0.55), out/d.wav (0.41)');
  });

  it('lists lowest first for "<" and caps the list', () => {
    const result = evaluateGate(gate('fm < 0.6'), ROWS, { worst: 2 });
    expect(result.value).toBe(4);
    expect(result.worst.map((f) => f.file)).toEqual(['out/e.wav', 'out/b.wav']);
  });

  it('passes with a message saying how many were checked', () => {
    const result = evaluateGate(gate('fm >= 1'), ROWS);
    expect(result.passed).toBe(true);
    expect(result.value).toBe(0);
    expect(result.worst).toEqual([]);
    expect(result.message).toBe('gate "fm >= 1" passed: 0 of 5 files at or above 1');
  });

  it('compares exactly for == and !=', () => {
    expect(evaluateGate(gate('fm == 0.41'), ROWS).value).toBe(1);
    expect(evaluateGate(gate('fm != 0.41'), ROWS).value).toBe(4);
  });

  it('works on per-sub columns', () => {
    const rows = [row('a', 1, { fm_p2: 3 }), row('b', 1, { fm_p2: 1 })];
    const result = evaluateGate(gate('fm_p2 > 2'), rows);
    expect(result.passed).toBe(false);
    expect(result.worst).toEqual([{ file: 'a', value: 3 }]);
  });
});

describe('evaluateGate: aggregates', () => {
  // ok values: 0.91, 0.2, 0.55, 0.41, 0.1 (numpy: mean 0.434, median 0.41, p95 0.838, p25 0.2)
  it.each([
    ['mean(fm) > 0.3', 0.434, false],
    ['mean(fm) > 0.5', 0.434, true],
    ['median(fm) >= 0.41', 0.41, false],
    ['p95(fm) > 0.8', 0.838, false],
    ['p25(fm) < 0.2', 0.2, true],
    ['max(fm) > 0.9', 0.91, false],
    ['min(fm) < 0.05', 0.1, true],
  ])('%s', (text, value, passed) => {
    const result = evaluateGate(gate(text), ROWS);
    expect(result.value).toBeCloseTo(value, 12);
    expect(result.passed).toBe(passed);
  });

  it('says the value and shows the files pulling it the failing way', () => {
    const result = evaluateGate(gate('mean(fm) > 0.3'), ROWS, { worst: 2 });
    expect(result.message).toBe('gate "mean(fm) > 0.3" failed: mean(fm) = 0.434 over 5 files, above 0.3; worst: out/a.wav (0.91), out/c.wav (0.55)');
    const low = evaluateGate(gate('p95(fm) < 0.9'), ROWS, { worst: 1 });
    expect(low.message).toBe('gate "p95(fm) < 0.9" failed: p95(fm) = 0.838 over 5 files, below 0.9; worst: out/e.wav (0.1)');
    const ok = evaluateGate(gate('mean(fm) > 0.5'), ROWS);
    expect(ok.message).toBe('gate "mean(fm) > 0.5" passed: mean(fm) = 0.434 over 5 files');
  });
});

describe('evaluateGate: count', () => {
  it('counts ok files matching the inner condition', () => {
    const failing = evaluateGate(gate('count(fm > 0.4) > 2'), ROWS);
    expect(failing.passed).toBe(false);
    expect(failing.value).toBe(3);
    expect(failing.message).toBe('gate "count(fm > 0.4) > 2" failed: 3 files above 0.4 (of 5); worst: out/a.wav (0.91), out/c.wav (0.55), out/d.wav (0.41)');
    const passing = evaluateGate(gate('count(fm > 0.4) > 3'), ROWS);
    expect(passing.passed).toBe(true);
    expect(passing.worst).toEqual([]);
  });

  it('a count of nothing is 0, not an error', () => {
    const result = evaluateGate(gate('count(fm > 0.4) > 0'), [row('a', null)]);
    expect(result.passed).toBe(true);
    expect(result.value).toBe(0);
  });
});

describe('evaluateGate: nothing to check', () => {
  it('fails a gate whose column has no value in any ok row (e.g. fm in syn-only mode)', () => {
    const rows = [row('a', null), row('b', null)];
    for (const text of ['fm > 0.4', 'mean(fm) > 0.3']) {
      const result = evaluateGate(gate(text), rows);
      expect(result.passed).toBe(false);
      expect(result.value).toBeNull();
      expect(result.message).toBe(`gate "${text}" failed: cannot be checked, no ok file has a value for "fm" (2 ok files without one)`);
    }
  });

  it('fails when no file was scored ok', () => {
    const result = evaluateGate(gate('mean(fm) > 0.3'), [row('a', 1, {}, 'error')]);
    expect(result.passed).toBe(false);
    expect(result.message).toBe('gate "mean(fm) > 0.3" failed: cannot be checked, no file was scored ok');
  });

  it('evaluates every gate in order', () => {
    const results = evaluateGates([gate('fm > 0.4'), gate('mean(fm) > 0.5')], ROWS);
    expect(results.map((r) => r.passed)).toEqual([false, true]);
  });
});

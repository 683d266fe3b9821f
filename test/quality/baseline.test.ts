import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import {
  BaselineComparer,
  BaselineIndex,
  compareWithBaseline,
  formatBaseline,
  metricDirection,
  parseMaxRegression,
  type MaxRegression,
} from '../../src/quality/baseline.js';
import { columnsFor, type Row } from '../../src/report/columns.js';
import { LISTED_PER_KIND } from '../../src/report/verdicts.js';
import type { ReportData } from '../../src/report/read.js';
import { parseReport } from '../../src/report/read.js';
import type { ModelInfo } from '../../src/scores.js';

const COLUMNS = columnsFor(['s', 'p2']);
const WEIGHTS = 'untrained:seed=0';

function row(syn: string, values: Record<string, number | null>, extra: Partial<Record<string, string>> = {}): Row {
  return {
    ref: `ref/${syn.replace(/^[^/]*\//, '')}`,
    syn,
    status: 'ok',
    error: '',
    family: 'gpt-sovits',
    weights: WEIGHTS,
    ...values,
    ...extra,
  };
}

function baseline(rows: Row[], model: ModelInfo | null = null): ReportData {
  return { source: 'old.jsonl', format: 'jsonl', columns: COLUMNS, rows, model, partialLine: false };
}

const only = (metrics: Record<string, number>): MaxRegression => ({ defaults: null, metrics });

describe('parseMaxRegression', () => {
  it('takes one percent for the default metrics, named metrics, or both', () => {
    expect(parseMaxRegression(undefined, COLUMNS)).toEqual({ defaults: 5, metrics: {} });
    expect(parseMaxRegression('10', COLUMNS)).toEqual({ defaults: 10, metrics: {} });
    expect(parseMaxRegression('2.5%', COLUMNS)).toEqual({ defaults: 2.5, metrics: {} });
    expect(parseMaxRegression('fm=5, mel_l1=10', COLUMNS)).toEqual({ defaults: null, metrics: { fm: 5, mel_l1: 10 } });
    expect(parseMaxRegression('5,gen_p2=0', COLUMNS)).toEqual({ defaults: 5, metrics: { gen_p2: 0 } });
  });

  it.each([
    ['', 'expected a percent or metric=percent pairs'],
    ['-5', 'expected a percent (a number ≥ 0) for the default metrics, got "-5"'],
    ['five', 'expected a percent (a number ≥ 0) for the default metrics, got "five"'],
    ['fm=', 'expected a percent (a number ≥ 0) for "fm", got ""'],
    ['=5', 'expected a metric name before "="'],
    ['5,6', 'more than one percent for the default metrics'],
    ['fm=5,fm=6', '"fm" is given twice'],
    ['fm=5,,gen=1', 'empty entry between commas'],
    ['status=5', 'column "status" holds text, not numbers'],
  ])('%j', (text, what) => {
    expect(() => parseMaxRegression(text, COLUMNS)).toThrow(
      new UsageError(`invalid --max-regression "${text}": ${what} (example: --max-regression 5 or --max-regression fm=5,mel_l1=10)`),
    );
  });

  it('rejects unknown metrics with a suggestion', () => {
    expect(() => parseMaxRegression('fn=5', COLUMNS)).toThrow(/unknown column "fn" \(did you mean "fm"\?\)/);
  });
});

describe('metricDirection', () => {
  it('treats fake and disc as higher-is-better, the rest lower-is-better', () => {
    expect(metricDirection('fm')).toBe('lower-is-better');
    expect(metricDirection('mel_l1')).toBe('lower-is-better');
    expect(metricDirection('gen_p2')).toBe('lower-is-better');
    expect(metricDirection('fake')).toBe('higher-is-better');
    expect(metricDirection('fake_p2')).toBe('higher-is-better');
    expect(metricDirection('disc')).toBe('higher-is-better');
  });
});

describe('compareWithBaseline', () => {
  const previous = baseline([
    row('out/a.wav', { fm: 1, mel_l1: 2 }),
    row('out/b.wav', { fm: 1, mel_l1: 2 }),
    row('out/c.wav', { fm: 1, mel_l1: 2 }),
    row('out/gone.wav', { fm: 1, mel_l1: 2 }),
  ]);

  it('reports files worse than the allowance, worst first, and passes the rest', () => {
    const current = [
      row('out/a.wav', { fm: 1.04, mel_l1: 2 }), // +4%: within 5%
      row('out/b.wav', { fm: 1.2, mel_l1: 2.3 }), // +20% and +15%
      row('out/c.wav', { fm: 0.5, mel_l1: 1 }), // better
      row('out/new.wav', { fm: 9, mel_l1: 9 }),
    ];
    const result = compareWithBaseline(current, previous);
    expect(result.passed).toBe(false);
    expect(result.metrics.map((m) => [m.column, m.maxPercent, m.compared])).toEqual([
      ['fm', 5, 3],
      ['mel_l1', 5, 3],
    ]);
    expect(result.regressions.map((r) => [r.file, r.column, r.baseline, r.value, r.changePercent])).toEqual([
      ['out/b.wav', 'fm', 1, 1.2, expect.closeTo(20, 9)],
      ['out/b.wav', 'mel_l1', 2, 2.3, expect.closeTo(15, 9)],
    ]);
    expect(result.newFiles).toEqual(['out/new.wav']);
    expect(result.missingFiles).toEqual(['out/gone.wav']);
    expect(result.matched).toBe(3);
    const fm = result.metrics[0]!;
    expect(fm.mean).toBeCloseTo((1.04 + 1.2 + 0.5) / 3, 12);
    expect(fm.baselineMean).toBe(1);
  });

  it('passes when nothing regressed; new and missing files do not fail', () => {
    const result = compareWithBaseline([row('out/a.wav', { fm: 1, mel_l1: 2 }), row('out/x.wav', { fm: 50, mel_l1: 50 })], previous);
    expect(result.passed).toBe(true);
    expect(result.newFiles).toEqual(['out/x.wav']);
    expect(result.missingFiles).toEqual(['out/b.wav', 'out/c.wav', 'out/gone.wav']);
  });

  it('uses per-metric allowances and only the metrics named', () => {
    const current = [row('out/a.wav', { fm: 1.2, mel_l1: 2.2, gen: 3 })];
    const prev = baseline([row('out/a.wav', { fm: 1, mel_l1: 2, gen: 1 })]);
    const result = compareWithBaseline(current, prev, { maxRegression: only({ fm: 25, mel_l1: 5 }) });
    expect(result.regressions.map((r) => r.column)).toEqual(['mel_l1']);
    const withDefaults = compareWithBaseline(current, prev, { maxRegression: { defaults: 5, metrics: { fm: 25, gen: 100 } } });
    expect(withDefaults.metrics.map((m) => [m.column, m.maxPercent])).toEqual([
      ['fm', 25],
      ['mel_l1', 5],
      ['gen', 100],
    ]);
    expect(withDefaults.regressions.map((r) => r.column)).toEqual(['gen', 'mel_l1']);
  });

  it('counts a drop as a regression for higher-is-better metrics', () => {
    const prev = baseline([row('out/a.wav', { fake: 0.5, disc: 1 })]);
    const result = compareWithBaseline([row('out/a.wav', { fake: 0.4, disc: 1.5 })], prev, { maxRegression: only({ fake: 10, disc: 10 }) });
    expect(result.regressions).toEqual([
      expect.objectContaining({ column: 'fake', baseline: 0.5, value: 0.4, changePercent: expect.closeTo(-20, 9), direction: 'higher-is-better' }),
    ]);
  });

  it('handles a baseline of 0: equal is fine, worse is a regression without a percent', () => {
    const prev = baseline([row('out/a.wav', { fm: 0 }), row('out/b.wav', { fm: 0 }), row('out/c.wav', { fm: 0 }), row('out/d.wav', { fm: 0 })]);
    const current = [
      row('out/a.wav', { fm: 0 }),
      row('out/b.wav', { fm: 0.2 }),
      row('out/c.wav', { fm: 5e-7 }), // float noise below the absolute tolerance
      row('out/d.wav', { fm: -0.1 }), // better
    ];
    const result = compareWithBaseline(current, prev, { maxRegression: only({ fm: 1000 }) });
    expect(result.regressions).toEqual([expect.objectContaining({ file: 'out/b.wav', baseline: 0, value: 0.2, changePercent: null })]);
    expect(formatBaseline(result)).toContain('out/b.wav fm 0 -> 0.2 (baseline 0, allowed 1000%)');
  });

  it('ignores changes within the absolute tolerance even above the percent', () => {
    const prev = baseline([row('out/a.wav', { fm: 1e-8 })]);
    const current = [row('out/a.wav', { fm: 3e-8 })];
    expect(compareWithBaseline(current, prev, { maxRegression: only({ fm: 5 }) }).passed).toBe(true);
    expect(compareWithBaseline(current, prev, { maxRegression: only({ fm: 5 }), absTolerance: 0 }).passed).toBe(false);
  });

  it('compares only pairs ok on both sides and reports status changes', () => {
    const prev = baseline([row('out/a.wav', { fm: 1 }), row('out/b.wav', { fm: 1 })]);
    const current = [row('out/a.wav', { fm: null }, { status: 'error', error: 'bad' }), row('out/b.wav', { fm: 1 })];
    const result = compareWithBaseline(current, prev);
    expect(result.passed).toBe(true);
    expect(result.statusChanged).toEqual([{ file: 'out/a.wav', status: 'error', baselineStatus: 'ok' }]);
    expect(result.metrics[0]!.compared).toBe(1);
  });

  it('matches by ref path when the syn folder changed', () => {
    const prev = baseline([row('v1/a.wav', { fm: 1 }), row('v1/b.wav', { fm: 1 })]);
    const result = compareWithBaseline([row('v2/a.wav', { fm: 2 }), row('v2/b.wav', { fm: 1 })], prev);
    expect(result.matched).toBe(2);
    expect(result.matchedByRef).toBe(2);
    expect(result.regressions.map((r) => [r.file, r.baselineFile])).toEqual([['v2/a.wav', 'v1/a.wav']]);
    expect(result.newFiles).toEqual([]);
    const strict = compareWithBaseline([row('v2/a.wav', { fm: 2 })], prev, { match: 'syn' });
    expect(strict.matched).toBe(0);
    expect(strict.newFiles).toEqual(['v2/a.wav']);
  });

  it('matches by ref path only a ref path that is one of a kind on both sides, with the status and values the row had', () => {
    const prev = baseline([
      row('v1/a.wav', { fm: 1, mel_l1: 1 }),
      row('v1/b.wav', { fm: 1, mel_l1: 1 }),
      row('v1/c1.wav', { fm: 1 }, { ref: 'ref/c.wav' }),
      row('v1/c2.wav', { fm: 1 }, { ref: 'ref/c.wav' }),
      row('v1/d.wav', { fm: 1 }),
      row('v1/e.wav', { fm: 1 }, { ref: '' }),
    ]);
    const current = [
      row('v2/a.wav', { fm: 2, mel_l1: null }),
      row('v2/b.wav', { fm: null, mel_l1: null }, { status: 'error', error: 'bad' }),
      row('v2/c.wav', { fm: 2 }, { ref: 'ref/c.wav' }), // the baseline has two with this ref
      row('v2/d1.wav', { fm: 2 }, { ref: 'ref/d.wav' }), // this run has two with this ref
      row('v2/d2.wav', { fm: 2 }, { ref: 'ref/d.wav' }),
      row('v2/e.wav', { fm: 2 }, { ref: '' }), // no ref path: never matched by it
    ];
    const comparer = new BaselineComparer(BaselineIndex.of(prev, { defaults: 5, metrics: {} }));
    for (const r of current) expect(comparer.add(r)).toEqual([]);
    // Only the changes of the files a page lists are kept for it.
    const result = comparer.result((file) => file === 'v2/a.wav');
    expect([result.matched, result.matchedByRef]).toEqual([2, 2]);
    expect(result.regressions.map((r) => [r.file, r.baselineFile, r.column, r.value])).toEqual([['v2/a.wav', 'v1/a.wav', 'fm', 2]]);
    expect(result.statusChanged).toEqual([{ file: 'v2/b.wav', status: 'error', baselineStatus: 'ok' }]);
    expect(result.changes.map((c) => [c.file, c.column])).toEqual([['v2/a.wav', 'fm']]);
    expect(result.newFiles).toEqual(['v2/c.wav', 'v2/d1.wav', 'v2/d2.wav', 'v2/e.wav']);
    expect(result.missingFiles).toEqual(['v1/c1.wav', 'v1/c2.wav', 'v1/d.wav', 'v1/e.wav']);
  });

  it('finish gives what result gives, letting the event loop run while a big end is matched by ref path', async () => {
    const n = 5_000;
    const make = (prefix: string, fm: number) => Array.from({ length: n }, (_, i) => row(`${prefix}/${i}.wav`, { fm, mel_l1: 1 }, { ref: `ref/${i}.wav` }));
    const run = (): BaselineComparer => {
      const comparer = new BaselineComparer(BaselineIndex.of(baseline(make('v1', 1)), { defaults: 5, metrics: {} }));
      for (const r of make('v2', 2)) comparer.add(r);
      return comparer;
    };
    let turns = 0;
    const timer = setInterval(() => turns++, 1);
    const finished = await run().finish();
    const during = turns; // read before anything else can run
    clearInterval(timer);
    expect(during).toBeGreaterThan(0);
    const sync = run().result();
    expect(JSON.stringify(finished)).toBe(JSON.stringify(sync));
    expect([finished.matchedByRef, finished.regressionCount]).toEqual([n, n]);
  });

  it('defaults to gen in syn-only runs', () => {
    const prev = baseline([row('out/a.wav', { fm: null, gen: 1 }, { ref: '' })]);
    const result = compareWithBaseline([row('out/a.wav', { fm: null, gen: 1.5 }, { ref: '' })], prev);
    expect(result.metrics.map((m) => m.column)).toEqual(['gen']);
    expect(result.passed).toBe(false);
  });

  it('refuses a baseline scored with another model', () => {
    const prev = baseline([row('out/a.wav', { fm: 1 }, { weights: 'sha256:abc' })]);
    expect(() => compareWithBaseline([row('out/a.wav', { fm: 1 })], prev)).toThrow(UsageError);
    expect(() => compareWithBaseline([row('out/a.wav', { fm: 1 })], prev)).toThrow(
      /scored with gpt-sovits with sha256:abc, this run with gpt-sovits with untrained:seed=0/,
    );
  });

  it('refuses a JSON baseline scored with another window length', () => {
    const model: ModelInfo = {
      family: 'gpt-sovits', sampleRate: 32000, subs: ['s', 'p2'], weights: 'untrained', seed: 0,
      checkpoint: null, sha256: null, precision: null, provider: 'cpu', adapter: null, segmentSamples: 96000, align: 'offset', maxOffsetSamples: 16000,
    };
    const prev = baseline([row('out/a.wav', { fm: 1 })], { ...model, segmentSamples: 0 });
    expect(() => compareWithBaseline([row('out/a.wav', { fm: 1 })], prev, { model })).toThrow(/use the same --segment/);
  });

  it('refuses a named metric the baseline lacks', () => {
    const prev = parseReport('ref,syn,status,fm\nr,out/a.wav,ok,1\n', 'csv', 'old.csv');
    expect(() => compareWithBaseline([row('out/a.wav', { fm: 1, gen_p2: 1 })], prev, { maxRegression: only({ gen_p2: 5 }) })).toThrow(
      /cannot compare "gen_p2" with baseline old\.csv: it has no such column/,
    );
  });

  it('formats a readable report', () => {
    const result = compareWithBaseline([row('out/a.wav', { fm: 1.5, mel_l1: 2 }), row('out/n.wav', { fm: 1 })], previous);
    const text = formatBaseline(result);
    expect(text).toContain('baseline old.jsonl: 1 files matched, 1 new, 3 missing');
    expect(text).toContain('out/a.wav fm 1 -> 1.5 (+50%, allowed 5%)');
    expect(text).toContain('new (not in baseline): out/n.wav');
    expect(text).toContain('missing (only in baseline): out/b.wav, out/c.wav, out/gone.wav');
  });

  it('counts every regression, status change, new and missing file, and lists the first of each kind', () => {
    // More of each kind than a comparison lists: its memory must not grow with them.
    const n = LISTED_PER_KIND + 500;
    const name = (i: number): string => `out/${String(i).padStart(5, '0')}.wav`;
    const before: Row[] = [];
    const now: Row[] = [];
    for (let i = 0; i < n; i++) {
      before.push(row(name(i), { fm: 1, mel_l1: 1 }));
      // fm regresses by 10% + i/100 % (the last file worst); mel_l1 only in every tenth file.
      now.push(row(name(i), { fm: 1.1 + i / 1e4, mel_l1: i % 10 === 0 ? 2 : 1 }));
      before.push(row(`gone/${name(i)}`, { fm: 1, mel_l1: 1 }, { ref: `gone-ref/${i}` }));
      now.push(row(`new/${name(i)}`, { fm: 1, mel_l1: 1 }, { ref: `new-ref/${i}` }));
      before.push(row(`both/${name(i)}`, { fm: 1, mel_l1: 1 }));
      now.push(row(`both/${name(i)}`, { fm: null, mel_l1: null }, { status: 'error', error: 'bad' }));
    }
    const result = compareWithBaseline(now, baseline(before));
    expect(result.regressionCount).toBe(n + n / 10);
    expect(result.regressionCounts).toEqual({ fm: n, mel_l1: n / 10 });
    expect(result.passed).toBe(false);
    // The worst of each metric: mel_l1's (+100%) first, then fm's from the last file down.
    expect(result.regressions).toHaveLength(LISTED_PER_KIND + n / 10);
    expect(result.regressions.slice(0, n / 10).every((r) => r.column === 'mel_l1')).toBe(true);
    const fm = result.regressions.filter((r) => r.column === 'fm').map((r) => r.file);
    expect(fm).toEqual(Array.from({ length: LISTED_PER_KIND }, (_, k) => name(n - 1 - k)));
    expect([result.newCount, result.missingCount, result.statusChangedCount]).toEqual([n, n, n]);
    expect(result.newFiles).toEqual(Array.from({ length: LISTED_PER_KIND }, (_, i) => `new/${name(i)}`));
    expect(result.missingFiles).toEqual(Array.from({ length: LISTED_PER_KIND }, (_, i) => `gone/${name(i)}`));
    expect(result.statusChanged.map((s) => s.file)).toEqual(Array.from({ length: LISTED_PER_KIND }, (_, i) => `both/${name(i)}`));
    const text = formatBaseline(result);
    expect(text).toContain(`regressed beyond the allowance (${n + n / 10}):`);
    expect(text).toContain(`  ... and ${n + n / 10 - 10} more`);
    expect(text).toContain(`, ${n} new, ${n} missing`);
    expect(text).toContain(`new (not in baseline): new/${name(0)}`);
    expect(text).toContain(`, ... and ${n - 10} more`);
  });
});

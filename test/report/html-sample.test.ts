import { describe, expect, it } from '@jest/globals';
import { RowSample } from '../../src/report/html-sample.js';
import type { Row } from '../../src/report/columns.js';

const COLUMNS = ['ref', 'syn', 'status', 'error', 'fm', 'fake', 'fm_s', 'gen_s', 'real_s', 'fake_s', 'fm_s_0'];
const SUBS = ['s'];

function row(i: number, status = 'ok'): Row {
  return { ref: `r/${i}.wav`, syn: `s/${i}.wav`, status, error: status === 'ok' ? '' : 'bad', fm: (i * 37) % 1000, fake: (i * 91) % 1000, fm_s: 1, gen_s: 2, real_s: 3, fake_s: 4, fm_s_0: 5 };
}

describe('RowSample', () => {
  it('keeps every row, in order, up to the limit, without per-sub or per-layer columns', () => {
    const sample = new RowSample(COLUMNS, SUBS, 10);
    for (let i = 0; i < 10; i++) sample.add(row(i));
    const { rows } = sample.result();
    expect(rows.map((r) => r['syn'])).toEqual(Array.from({ length: 10 }, (_, i) => `s/${i}.wav`));
    expect(Object.keys(rows[0]!)).toEqual(['ref', 'syn', 'status', 'error', 'fm', 'fake']);
  });

  it('beyond the limit: exactly `limit` rows, the worst by each metric and the first failures among them, deterministic', () => {
    const make = () => {
      const sample = new RowSample(COLUMNS, SUBS, 400);
      for (let i = 0; i < 5000; i++) sample.add(row(i, i % 50 === 0 ? 'error' : 'ok'), i === 4321 ? [{ file: `s/${i}.wav`, baselineFile: '', column: 'fm', value: 1, baseline: 1, changePercent: 0, regressed: false }] : []);
      return sample.result();
    };
    const { rows, changes } = make();
    expect(rows).toHaveLength(400);
    const seqs = rows.map((r) => Number(/(\d+)/.exec(r['syn'] as string)![1]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const ok = Array.from({ length: 5000 }, (_, i) => row(i)).filter((_, i) => i % 50 !== 0);
    // The highest fm (lower is better) and the lowest fake (higher is better) are listed.
    const worstFm = [...ok].sort((a, b) => (b['fm'] as number) - (a['fm'] as number))[0]!['syn'];
    const worstFake = [...ok].sort((a, b) => (a['fake'] as number) - (b['fake'] as number))[0]!['syn'];
    const listed = new Set(rows.map((r) => r['syn']));
    expect(listed.has(worstFm)).toBe(true);
    expect(listed.has(worstFake)).toBe(true);
    expect(listed.has('s/0.wav')).toBe(true); // the first failure
    expect(make().rows).toEqual(rows);
    // Changes travel with the rows they belong to, and only with listed rows.
    expect(changes.every((c) => listed.has(c.file))).toBe(true);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new RowSample(COLUMNS, SUBS, 0)).toThrow(RangeError);
  });
});

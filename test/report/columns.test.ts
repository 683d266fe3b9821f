import { describe, expect, it } from '@jest/globals';
import {
  columnsFor,
  layerColumnMatcher,
  rowKey,
  subsFromColumns,
  weightsTag,
} from '../../src/report/columns.js';
import { resultToRow } from '../../src/report/rows.js';
import { failedResult, makeModel, okResult } from './helpers.js';

describe('columnsFor', () => {
  it('lists the contract columns in order, four per sub, then family and weights', () => {
    expect(columnsFor(['s', 'p2'])).toEqual([
      'ref', 'syn', 'status', 'error', 'sample_rate', 'ref_seconds', 'syn_seconds',
      'ref_format', 'syn_format', 'ref_sample_rate', 'syn_sample_rate', 'windows',
      'fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'mel_dtw', 'offset_ms', 'warning',
      'fm_s', 'gen_s', 'real_s', 'fake_s',
      'fm_p2', 'gen_p2', 'real_p2', 'fake_p2',
      'family', 'weights',
    ]);
  });

  it('appends per-layer columns after the contract columns only when asked', () => {
    const columns = columnsFor(['s', 'p2'], { s: 2, p2: 1 });
    const contract = columnsFor(['s', 'p2']);
    expect(columns.slice(0, contract.length)).toEqual(contract);
    expect(columns.slice(contract.length)).toEqual(['fm_s_0', 'fm_s_1', 'fm_p2_0']);
  });

  it('recovers sub names from a column list and tells layer columns apart', () => {
    const columns = columnsFor(['s', 's0', 'p2'], { s: 1, s0: 1 });
    expect(subsFromColumns(columns)).toEqual(['s', 's0', 'p2']);
    const isLayer = layerColumnMatcher(['s', 's0', 'p2']);
    expect(isLayer('fm_s_0')).toEqual({ sub: 's', layer: 0 });
    expect(isLayer('fm_s0_0')).toEqual({ sub: 's0', layer: 0 });
    expect(isLayer('fm_s0')).toBeNull();
    expect(isLayer('fm_x_0')).toBeNull();
  });
});

describe('weightsTag', () => {
  it('names untrained weights by seed and checkpoints by hash', () => {
    expect(weightsTag(makeModel())).toBe('untrained:seed=0');
    expect(weightsTag(makeModel({ seed: 7 }))).toBe('untrained:seed=7');
    expect(weightsTag(makeModel({ weights: 'checkpoint', seed: null, sha256: 'ABCDEF', checkpoint: 'D.pth' }))).toBe('sha256:abcdef');
    expect(weightsTag(makeModel({ weights: 'checkpoint', seed: null, sha256: null, checkpoint: 'D.pth' }))).toBe('checkpoint:D.pth');
  });
});

describe('resultToRow', () => {
  const model = makeModel();

  it('fills every column of an ok result, in model sub order, plus per-layer values', () => {
    const row = resultToRow(okResult('out/a.wav', 0.5), model);
    for (const column of columnsFor(model.subs)) expect(row).toHaveProperty([column]);
    expect(row['fm']).toBe(0.5);
    expect(row['mel_l1']).toBe(1);
    expect(row['fm_p2']).toBe(1);
    expect(row['gen_r1024']).toBeCloseTo(0.5 / 3 + 2);
    expect(row['fm_s_0']).toBe(0.25);
    expect(row['fm_s_2']).toBe(0.125);
    expect(row['fm_s_3']).toBeUndefined();
    expect(row['family']).toBe('gpt-sovits');
    expect(row['weights']).toBe('untrained:seed=0');
    expect(Object.keys(row).slice(0, columnsFor(model.subs).length)).toEqual(columnsFor(model.subs));
  });

  it('gives nulls for every score of a row that is not ok', () => {
    const row = resultToRow(failedResult('out/b.wav', 'cannot decode out/b.wav'), model);
    expect(row['status']).toBe('error');
    expect(row['error']).toBe('cannot decode out/b.wav');
    expect(row['fm']).toBeNull();
    expect(row['fm_p2']).toBeNull();
    expect(row['windows']).toBe(0);
    expect(row['fm_s_0']).toBeUndefined();
  });

  it('leaves ref-side columns null in syn-only mode', () => {
    const result = okResult('out/c.wav', 0.5, '', true);
    const row = resultToRow(result, model);
    expect(row['ref']).toBe('');
    for (const column of ['ref_seconds', 'fm', 'real', 'disc', 'mel_l1', 'fm_s', 'real_p2']) expect(row[column]).toBeNull();
    // The synthesized side keeps its values.
    expect(row['gen']).toBe(result.totals!.gen);
    expect(row['fake_s']).toBe(result.subs.find((s) => s.name === 's')!.fake);
    expect(row['syn_seconds']).toBe(result.synSeconds);
  });

  it('turns NaN and infinities into null, never into a number', () => {
    const result = okResult('out/d.wav', 0.5);
    const broken = { ...result, totals: { ...result.totals!, fm: Number.NaN, gen: Infinity } };
    const row = resultToRow(broken, model);
    expect(row['fm']).toBeNull();
    expect(row['gen']).toBeNull();
  });

  it('gives nulls for a sub the result lacks', () => {
    const result = okResult('out/e.wav', 0.5);
    const row = resultToRow({ ...result, subs: result.subs.filter((s) => s.name !== 'p2') }, model);
    expect(row['fm_p2']).toBeNull();
    expect(row['fm_s']).toBe(0.5);
  });
});

describe('rowKey', () => {
  it('is the syn path, or the ref path when there is none', () => {
    expect(rowKey({ ref: 'r.wav', syn: 's.wav' })).toBe('s.wav');
    expect(rowKey({ ref: 'r.wav', syn: '' })).toBe('r.wav');
  });
});

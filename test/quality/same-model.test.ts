/** The one same-model check behind --baseline, --resume and merge. */
import { describe, expect, it } from '@jest/globals';
import { describeMismatch, findModelMismatch, type ScoredSet } from '../../src/quality/same-model.js';
import type { ModelInfo } from '../../src/scores.js';
import { makeModel } from '../report/helpers.js';

const set = (source: string, model: ModelInfo | null, rows: ScoredSet['rows'] = []): ScoredSet => ({ source, model, rows });
const row = (family: string, weights: string) => ({ ref: 'r.wav', syn: 's.wav', status: 'ok', family, weights });

describe('findModelMismatch', () => {
  it('accepts sets that agree, and rows that carry no model columns', () => {
    const model = makeModel();
    expect(findModelMismatch([set('a.json', model), set('this run', model, [row('gpt-sovits', 'untrained:seed=0')])])).toBeNull();
    expect(findModelMismatch([set('a.csv', null, [{ ref: 'r', syn: 's', status: 'ok' }]), set('this run', model)])).toBeNull();
  });

  it('names the first disagreement in family or weights, also among the rows of one file', () => {
    const mismatch = findModelMismatch([set('a.jsonl', null, [row('gpt-sovits', 'untrained:seed=0'), row('hifigan', 'untrained:seed=0')])]);
    expect(mismatch).toEqual({
      kind: 'model',
      first: { source: 'a.jsonl', what: 'gpt-sovits with untrained:seed=0' },
      second: { source: 'a.jsonl', what: 'hifigan with untrained:seed=0' },
    });
    expect(describeMismatch(mismatch!)).toBe('a.jsonl was scored with gpt-sovits with untrained:seed=0, a.jsonl with hifigan with untrained:seed=0');
  });

  it('compares window length and alignment where model blocks record them', () => {
    const model = makeModel();
    expect(findModelMismatch([set('a.json', model), set('this run', { ...model, segmentSamples: 0 })])?.kind).toBe('segment');
    const none = { ...model, align: 'none' as const, maxOffsetSamples: 0 };
    const mismatch = findModelMismatch([set('a.json', none), set('this run', model)]);
    expect(mismatch?.kind).toBe('align');
    expect(describeMismatch(mismatch!)).toBe('a.json was scored with --align none, this run with --align offset (up to 16000 samples)');
    expect(findModelMismatch([set('a.json', model), set('b.json', { ...model, maxOffsetSamples: 8000 })])?.kind).toBe('align');
  });

  it('compares the sample rate (model blocks and every row\'s sample_rate): the same RVC weights at 40 and 48 kHz are not comparable', () => {
    const model = makeModel({ family: 'rvc-v2', sampleRate: 40000 });
    const mismatch = findModelMismatch([set('a.json', model), set('this run', { ...model, sampleRate: 48000 })]);
    expect(mismatch?.kind).toBe('rate');
    expect(describeMismatch(mismatch!)).toBe('a.json was scored with a sample rate of 40000 Hz, this run with a sample rate of 48000 Hz');
    const rows = [{ ...row('rvc-v2', 'untrained:seed=0'), family: 'rvc-v2', sample_rate: 48000 }];
    expect(findModelMismatch([set('a.csv', null, rows), set('this run', { ...model, weights: 'untrained' })])?.kind).toBe('rate');
    expect(findModelMismatch([set('a.csv', null, rows), set('this run', { ...model, sampleRate: 48000 })])).toBeNull();
  });

  it('lets a report from before alignment existed (align unknown) through', () => {
    const model = makeModel();
    expect(findModelMismatch([set('old.json', { ...model, align: '', maxOffsetSamples: 0 }), set('this run', model)])).toBeNull();
  });
});

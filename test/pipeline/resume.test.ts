import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import { checkBaselineModel, parseMaxRegression } from '../../src/quality/baseline.js';
import type { PairSpec } from '../../src/pipeline/discover.js';
import { parseGate } from '../../src/quality/gates.js';
import { checkResumeModel, pairIdentity, planResume } from '../../src/pipeline/resume.js';
import { columnsFor, needsReference, type Row } from '../../src/report/columns.js';
import type { ModelInfo } from '../../src/scores.js';

const MODEL: ModelInfo = {
  family: 'gpt-sovits',
  sampleRate: 32000,
  subs: ['s', 'p2'],
  weights: 'checkpoint',
  seed: null,
  checkpoint: 'D.pth',
  sha256: 'ab'.repeat(32),
  precision: 'float32',
  provider: 'cpu',
  adapter: null,
  segmentSamples: 64000,
  align: 'offset',
  maxOffsetSamples: 16000,
};
const WEIGHTS = `sha256:${'ab'.repeat(32)}`;

function pair(key: string, ref: string | null = `ref/${key}.wav`, syn: string | null = `syn/${key}.wav`): PairSpec {
  return { key, ref, syn };
}

function row(syn: string, status = 'ok', extra: Record<string, string | number | null> = {}): Row {
  return { ref: syn.replace(/^syn/, 'ref'), syn, status, error: '', fm: 1, family: 'gpt-sovits', weights: WEIGHTS, ...extra };
}

describe('planResume', () => {
  const pairs = [pair('a'), pair('b'), pair('c'), pair('d', 'ref/d.wav', null)];

  it('carries ok records of this run and leaves the rest to score, in order', () => {
    const plan = planResume([row('syn/a.wav'), row('syn/c.wav')], pairs);
    expect(plan.rows.map((r) => r['syn'])).toEqual(['syn/a.wav', 'syn/c.wav']);
    expect(plan.pairs.map((p) => p.key)).toEqual(['b', 'd']);
    expect(plan.foreign).toBe(0);
  });

  it('scores error and unpaired rows again', () => {
    const plan = planResume([row('syn/a.wav', 'error'), { ...row('', 'unpaired'), ref: 'ref/d.wav' }], pairs);
    expect(plan.rows).toEqual([]);
    expect(plan.pairs).toHaveLength(4);
  });

  it('drops records of pairs that are not part of this run, and keeps one record per pair (the last)', () => {
    const plan = planResume([row('syn/a.wav', 'ok', { fm: 1 }), row('syn/zz.wav'), row('syn/a.wav', 'ok', { fm: 2 })], pairs);
    expect(plan.rows).toEqual([row('syn/a.wav', 'ok', { fm: 2 })]);
    expect(plan.foreign).toBe(1);
  });

  it('identifies pairs as their rows are keyed: syn path, else ref path', () => {
    expect(pairIdentity(pair('a'))).toBe('syn/a.wav');
    expect(pairIdentity(pair('d', 'ref/d.wav', null))).toBe('ref/d.wav');
  });
});

describe('checkResumeModel', () => {
  it('accepts records of the same model and hand-made rows without model columns', () => {
    expect(() => checkResumeModel([row('syn/a.wav'), { ref: 'r', syn: 's', status: 'ok' }], MODEL, 'run.jsonl')).not.toThrow();
  });

  it('refuses records of other weights or another family', () => {
    expect(() => checkResumeModel([row('syn/a.wav', 'ok', { weights: 'untrained:seed=0' })], MODEL, 'run.jsonl')).toThrow(
      new UsageError(
        `cannot resume from run.jsonl: run.jsonl was scored with gpt-sovits with untrained:seed=0, this run with gpt-sovits with ${WEIGHTS}; ` +
          'use the same model, or write to a fresh output without --resume',
      ),
    );
    expect(() => checkResumeModel([row('syn/a.wav', 'ok', { family: 'hifigan' })], MODEL, 'run.jsonl')).toThrow(/scored with hifigan with/);
  });
});

describe('reference-free runs', () => {
  const columns = columnsFor(['s', 'p2']);

  it('knows which columns need a reference', () => {
    const needing = columns.filter(needsReference);
    expect(needing).toEqual(['ref_seconds', 'ref_format', 'ref_sample_rate', 'fm', 'real', 'disc', 'mel_l1', 'mel_dtw', 'offset_ms', 'fm_s', 'real_s', 'fm_p2', 'real_p2']);
    expect(needsReference('fm_s_3')).toBe(true);
  });

  it('refuses gates and regression limits on them, and accepts gen and fake', () => {
    const referenceFree = { referenceFree: true };
    expect(() => parseGate('mean(fm) > 1', columns, '--fail-if', referenceFree)).toThrow(/"fm" needs a reference recording/);
    expect(() => parseGate('count(real_p2 > 1) > 0', columns, '--fail-if', referenceFree)).toThrow(/"real_p2" needs a reference/);
    expect(parseGate('mean(gen) > 1', columns, '--fail-if', referenceFree).target).toMatchObject({ column: 'gen' });
    expect(parseGate('fake_s < 0', columns, '--fail-if', referenceFree).target).toMatchObject({ column: 'fake_s' });
    // Without the option fm is a column like any other.
    expect(parseGate('mean(fm) > 1', columns).target).toMatchObject({ column: 'fm' });
    expect(() => parseMaxRegression('gen=5,mel_l1=5', columns, '--max-regression', referenceFree)).toThrow(/"mel_l1" needs a reference/);
    expect(parseMaxRegression('5,gen=10', columns, '--max-regression', referenceFree)).toEqual({ defaults: 5, metrics: { gen: 10 } });
  });
});

describe('checkBaselineModel', () => {
  const data = (rows: Row[], model: ModelInfo | null = null) => ({ source: 'old.jsonl', format: 'jsonl' as const, columns: [], rows, model, partialLine: false });

  it('accepts a baseline of the same model, refuses another one before any comparison', () => {
    expect(() => checkBaselineModel(data([row('syn/a.wav')]), MODEL)).not.toThrow();
    expect(() => checkBaselineModel(data([row('syn/a.wav', 'ok', { family: 'hifigan' })]), MODEL)).toThrow(/cannot compare with baseline old\.jsonl/);
    expect(() => checkBaselineModel(data([], { ...MODEL, segmentSamples: 3200 }), MODEL)).toThrow(/windows of 3200 samples/);
  });
});

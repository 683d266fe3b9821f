/**
 * Golden parity of the deterministic untrained init at full size, through the public API:
 * whole-file scores, every per-layer distance, mel_l1, and the segmented means.
 */
import { createScorer, type Scorer } from '../../src/index.js';
import { DiscriminatorEngine } from '../../src/engine/engine.js';
import { openAudio } from '../../src/audio/index.js';
import { getFamily, resolveModel, untrainedWeights } from '../../src/model/index.js';
import { expectRelativeClose, goldenCase, TOLERANCE, type GoldenCase } from '../helpers/golden.js';

const CASES: Array<[string, string]> = [
  ['gpt-sovits-untrained-full', 'gpt-sovits'],
  ['sovits5-untrained-full', 'sovits5'],
];

function checkWholeFile(result: Awaited<ReturnType<Scorer['scoreFiles']>>, golden: GoldenCase): void {
  const e = golden.expected;
  expect(result.status).toBe('ok');
  expect(result.windows).toBe(1);
  expectRelativeClose(result.totals!.fm, e.fm, TOLERANCE.total, 'fm');
  expectRelativeClose(result.totals!.gen, e.gen, TOLERANCE.total, 'gen');
  expectRelativeClose(result.totals!.disc, e.disc, TOLERANCE.total, 'disc');
  expectRelativeClose(result.totals!.melL1, e.mel_l1_gptsovits!, TOLERANCE.total, 'mel_l1');
  expect(result.subs.map((s) => s.name)).toEqual(e.subs.map((s) => s.name));
  e.subs.forEach((sub, i) => {
    const got = result.subs[i]!;
    expectRelativeClose(got.fm, sub.fm, TOLERANCE.total, `fm_${sub.name}`);
    expectRelativeClose(got.gen, sub.gen, TOLERANCE.total, `gen_${sub.name}`);
    expectRelativeClose(got.real, sub.real, TOLERANCE.total, `real_${sub.name}`);
    expectRelativeClose(got.fake, sub.fake, TOLERANCE.total, `fake_${sub.name}`);
    expect(got.fmLayers).toHaveLength(sub.fm_layers.length);
    sub.fm_layers.forEach((v, l) => expectRelativeClose(got.fmLayers[l], v, TOLERANCE.layer, `fm_layers ${sub.name}[${l}]`));
  });
}

describe.each(CASES)('golden %s through the library API', (caseName, family) => {
  const golden = goldenCase(caseName);

  test('whole file (--segment 0)', async () => {
    const scorer = await createScorer({ family, segment: 0 });
    try {
      expect(scorer.model.weights).toBe('untrained');
      checkWholeFile(await scorer.scoreFiles(golden.ref, golden.syn), golden);
    } finally {
      await scorer.dispose();
    }
  });

  test('segmented: windows of L samples, last one right-aligned, plain mean', async () => {
    const seg = golden.expected.segmented!;
    const scorer = await createScorer({ family, segment: seg.segment / golden.expected.sample_rate });
    try {
      const result = await scorer.scoreFiles(golden.ref, golden.syn);
      expect(result.windows).toBe(seg.starts.length);
      expectRelativeClose(result.totals!.fm, seg.mean.fm, TOLERANCE.total, 'segmented fm');
      expectRelativeClose(result.totals!.gen, seg.mean.gen, TOLERANCE.total, 'segmented gen');
      expectRelativeClose(result.totals!.disc, seg.mean.disc, TOLERANCE.total, 'segmented disc');
    } finally {
      await scorer.dispose();
    }
  });
});

test('a batch of different windows gives each the values it gets alone, and matches the per-window goldens', async () => {
  const golden = goldenCase('gpt-sovits-untrained-full');
  const seg = golden.expected.segmented!;
  const family = getFamily('gpt-sovits');
  const engine = await DiscriminatorEngine.create(resolveModel(family, untrainedWeights(family, 0)), 'pair');
  const [ref, syn] = await Promise.all([openAudio(golden.ref), openAudio(golden.syn)]);
  try {
    const read = (r: typeof ref, start: number) => r.read(32000, start, seg.segment);
    const refs = await Promise.all(seg.starts.map((s) => read(ref, s)));
    const syns = await Promise.all(seg.starts.map((s) => read(syn, s)));
    // Mix the pairs up so that no item sits next to its own neighbour window.
    const order = [2, 0, 3, 1];
    const batch = await engine.run(order.map((i) => refs[i]!), order.map((i) => syns[i]!));
    for (const [slot, i] of order.entries()) {
      const alone = (await engine.run([refs[i]!], [syns[i]!]))[0]!;
      const inBatch = batch[slot]!;
      inBatch.fmLayers.forEach((v, l) => expect(Math.abs(v - alone.fmLayers[l]!)).toBeLessThanOrEqual(1e-6 * Math.abs(alone.fmLayers[l]!) + 1e-12));
      const fm = 2 * inBatch.fmLayers.reduce((a, b) => a + b, 0);
      const gen = inBatch.gen.reduce((a, b) => a + b, 0);
      const disc = inBatch.real.reduce((a, b) => a + b, 0) + inBatch.fake.reduce((a, b) => a + b, 0);
      expectRelativeClose(fm, seg.fm[i]!, TOLERANCE.total, `window ${i} fm`);
      expectRelativeClose(gen, seg.gen[i]!, TOLERANCE.total, `window ${i} gen`);
      expectRelativeClose(disc, seg.disc[i]!, TOLERANCE.total, `window ${i} disc`);
    }
  } finally {
    await Promise.all([ref.close(), syn.close(), engine.dispose()]);
  }
});

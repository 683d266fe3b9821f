/**
 * Golden parity of the deterministic untrained init at full size. Through the library API: the
 * whole file (every total, sub and layer distance, mel_l1). Through the engine: each window of
 * the segmented golden, batched and alone, in both graph modes. (The segmented means through
 * createScorer, i.e. window placement and the plain mean, are checked through the CLI in
 * golden/cli.test.ts: one full-size scorer per configuration in the whole suite.)
 */
import { openAudio } from '../../src/audio/index.js';
import { DiscriminatorEngine } from '../../src/engine/engine.js';
import { createScorer } from '../../src/index.js';
import { getFamily, resolveModel, untrainedWeights } from '../../src/model/index.js';
import { expectGoldenResult, expectRelativeClose, goldenCase, TOLERANCE } from '../helpers/golden.js';

test.each([
  ['gpt-sovits-untrained-full', 'gpt-sovits'],
  ['sovits5-untrained-full', 'sovits5'],
])('%s through the library API, whole file (--segment 0): totals, every sub and layer, mel_l1', async (caseName, family) => {
  const golden = goldenCase(caseName);
  // Golden values are for the files as they are: alignment pinned off (it finds 0 on them anyway).
  const whole = await createScorer({ family, segment: 0, align: 'none' });
  try {
    expect(whole.model.weights).toBe('untrained');
    expect(whole.model.seed).toBe(0);
    const result = await whole.scoreFiles(golden.ref, golden.syn);
    expect(result.windows).toBe(1);
    expectGoldenResult(result, golden);
    expectRelativeClose(result.totals!.melL1, golden.expected.mel_l1_gptsovits!, TOLERANCE.total, 'mel_l1');
  } finally {
    await whole.dispose();
  }
}, 60_000);

// Both graph layouts: time-on-width with ref/syn as image rows (gpt-sovits: periods and
// scale) and spectrogram images with ref/syn as batch halves (sovits5's resolutions).
test.each([
  ['gpt-sovits-untrained-full', 'gpt-sovits'],
  ['sovits5-untrained-full', 'sovits5'],
])('%s: a batch of different windows gives each the values it gets alone, and matches the per-window goldens', async (caseName, familyName) => {
  const golden = goldenCase(caseName);
  const seg = golden.expected.segmented!;
  const family = getFamily(familyName);
  const model = resolveModel(family, untrainedWeights(family, 0));
  const engine = await DiscriminatorEngine.create(model, 'pair');
  const synOnly = await DiscriminatorEngine.create(model, 'syn-only');
  const [ref, syn] = await Promise.all([openAudio(golden.ref), openAudio(golden.syn)]);
  try {
    const refs = await Promise.all(seg.starts.map((s) => ref.read(32000, s, seg.segment)));
    const syns = await Promise.all(seg.starts.map((s) => syn.read(32000, s, seg.segment)));
    // Rotate so that no window sits in its own slot.
    const order = seg.starts.map((_, i) => (i + 1) % seg.starts.length);
    const batch = await engine.run(order.map((i) => refs[i]!), order.map((i) => syns[i]!));
    for (const [slot, i] of order.entries()) {
      const alone = (await engine.run([refs[i]!], [syns[i]!]))[0]!;
      const inBatch = batch[slot]!;
      inBatch.fmLayers.forEach((v, l) => expectRelativeClose(v, alone.fmLayers[l]!, 1e-5, `window ${i} layer ${l} batched vs alone`));
      inBatch.gen.forEach((v, s) => expectRelativeClose(v, alone.gen[s]!, 1e-5, `window ${i} gen ${s} batched vs alone`));
      inBatch.real.forEach((v, s) => expectRelativeClose(v, alone.real[s]!, 1e-5, `window ${i} real ${s} batched vs alone`));
      inBatch.fake.forEach((v, s) => expectRelativeClose(v, alone.fake[s]!, 1e-5, `window ${i} fake ${s} batched vs alone`));
      const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
      expectRelativeClose(2 * sum(inBatch.fmLayers), seg.fm[i]!, TOLERANCE.total, `window ${i} fm`);
      expectRelativeClose(sum(inBatch.gen), seg.gen[i]!, TOLERANCE.total, `window ${i} gen`);
      expectRelativeClose(sum(inBatch.real) + sum(inBatch.fake), seg.disc[i]!, TOLERANCE.total, `window ${i} disc`);
    }
    // Without a reference the synthesized windows get the same discriminator scores.
    const synBatch = await synOnly.run(null, order.map((i) => syns[i]!));
    for (const [slot, i] of order.entries()) {
      synBatch[slot]!.gen.forEach((v, s) => expectRelativeClose(v, batch[slot]!.gen[s]!, 1e-5, `window ${i} gen ${s} syn-only vs pair`));
      synBatch[slot]!.fake.forEach((v, s) => expectRelativeClose(v, batch[slot]!.fake[s]!, 1e-5, `window ${i} fake ${s} syn-only vs pair`));
    }
  } finally {
    await Promise.all([ref.close(), syn.close(), engine.dispose(), synOnly.dispose()]);
  }
}, 60_000);

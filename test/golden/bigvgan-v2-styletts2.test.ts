/**
 * Golden parity of BigVGAN v2 (MPD + sub-band CQT-D from stored kernels) and StyleTTS 2 (MPD +
 * Hann magnitude MRSD): the whole file through the library API and the CLI, then, through the
 * engine, the golden pair as a batch of two (batched = alone = golden), windows of it batched
 * against alone in both graph modes, and the flat (GPU) graph against the isolated (CPU) one.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAudio } from '../../src/audio/index.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { buildDiscriminatorGraph } from '../../src/engine/discriminator-graph.js';
import { DiscriminatorEngine } from '../../src/engine/engine.js';
import { createScorer } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { expectGoldenResult, expectRelativeClose, goldenCase, TOLERANCE } from '../helpers/golden.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const CASES = ['bigvgan-v2', 'styletts2'] as const;

let dir: string;
beforeAll(() => {
  dir = tempDir('golden-modern-b');
});
afterAll(() => removeDir(dir));

test.each(CASES)('%s: whole-file scores match PyTorch (library API)', async (name) => {
  const golden = goldenCase(name);
  // The family is detected from the file alone (BigVGAN v1 and v2 share their sub prefixes).
  const scorer = await createScorer({ weights: golden.checkpoint!, segment: 0, align: 'none' });
  try {
    expect(scorer.model.family).toBe(golden.expected.family);
    expect(scorer.model.sampleRate).toBe(golden.expected.sample_rate);
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    expect(result.sampleRate).toBe(golden.expected.sample_rate);
    expectGoldenResult(result, golden);
  } finally {
    await scorer.dispose();
  }
});

test.each(CASES)('%s: whole-file scores match PyTorch (CLI, JSON record)', async (name) => {
  const golden = goldenCase(name);
  const manifest = path.join(dir, `${name}.csv`);
  writeFileSync(manifest, `ref,syn\n"${golden.ref}","${golden.syn}"\n`);
  const run = await runMain(['score', '--pairs', manifest, '--format', 'json', '--quiet', '--align', 'none', '--segment', '0', '--weights', golden.checkpoint!]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { files: Record<string, unknown>[]; model: { subs: string[]; family: string } };
  const record = doc.files[0]!;
  const layers = record.fm_layers as Record<string, number[]>;
  expect(doc.model.family).toBe(golden.expected.family);
  expectGoldenResult(
    {
      status: record.status as string,
      totals: { fm: record.fm as number, gen: record.gen as number, disc: record.disc as number },
      subs: doc.model.subs.map((sub) => ({
        name: sub,
        fm: record[`fm_${sub}`] as number,
        gen: record[`gen_${sub}`] as number,
        real: record[`real_${sub}`] as number,
        fake: record[`fake_${sub}`] as number,
        fmLayers: layers[sub]!,
      })),
    },
    golden,
  );
});

const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);

test.each(CASES)('%s: batches of windows give each the values it gets alone, in both graph modes and graph forms', async (name) => {
  const golden = goldenCase(name);
  const rate = golden.expected.sample_rate;
  const { model, info } = await loadCheckpoint(golden.checkpoint!);
  expect(info.family).toBe(golden.expected.family);
  const engine = await DiscriminatorEngine.create(model, 'pair');
  const synOnly = await DiscriminatorEngine.create(model, 'syn-only');
  const [ref, syn] = await Promise.all([openAudio(golden.ref), openAudio(golden.syn)]);
  try {
    const whole = [await ref.read(rate, 0, golden.expected.samples), await syn.read(rate, 0, golden.expected.samples)] as const;
    // The whole pair twice in one call: both items give the golden totals.
    const twice = await engine.run([whole[0], whole[0]], [whole[1], whole[1]]);
    for (const item of twice) {
      expectRelativeClose(2 * sum(item.fmLayers), golden.expected.fm, TOLERANCE.total, 'batched fm');
      expectRelativeClose(sum(item.gen), golden.expected.gen, TOLERANCE.total, 'batched gen');
      expectRelativeClose(sum(item.real) + sum(item.fake), golden.expected.disc, TOLERANCE.total, 'batched disc');
    }
    // Three different 0.3 s windows (one shorter than a CQT hop multiple), rotated in the batch.
    const segment = Math.round(0.3 * rate) + 7;
    const starts = [0, 4000, golden.expected.samples - segment];
    const refs = await Promise.all(starts.map((s) => ref.read(rate, s, segment)));
    const syns = await Promise.all(starts.map((s) => syn.read(rate, s, segment)));
    const order = starts.map((_, i) => (i + 1) % starts.length);
    const batch = await engine.run(order.map((i) => refs[i]!), order.map((i) => syns[i]!));
    const synBatch = await synOnly.run(null, order.map((i) => syns[i]!));
    for (const [slot, i] of order.entries()) {
      const alone = (await engine.run([refs[i]!], [syns[i]!]))[0]!;
      const inBatch = batch[slot]!;
      inBatch.fmLayers.forEach((v, l) => expectRelativeClose(v, alone.fmLayers[l]!, 1e-5, `window ${i} layer ${l} batched vs alone`));
      for (const key of ['gen', 'real', 'fake'] as const) inBatch[key].forEach((v, s) => expectRelativeClose(v, alone[key][s]!, 1e-5, `window ${i} ${key} ${s} batched vs alone`));
      for (const key of ['gen', 'fake'] as const) synBatch[slot]![key].forEach((v, s) => expectRelativeClose(v, inBatch[key][s]!, 1e-5, `window ${i} ${key} ${s} syn-only vs pair`));
    }
    // The flat graph the GPU providers get (no If per sub) computes the same on the CPU.
    const ort = await import('onnxruntime-node');
    const flat = await ort.InferenceSession.create(buildDiscriminatorGraph(model, 'pair').bytes());
    const tensor = (x: Float32Array) => new ort.Tensor('float32', x, [1, x.length]);
    const out = await flat.run({ ref: tensor(refs[0]!), syn: tensor(syns[0]!) });
    const alone = (await engine.run([refs[0]!], [syns[0]!]))[0]!;
    (out.fm_layers!.data as Float32Array).forEach((v, l) => expectRelativeClose(v, alone.fmLayers[l]!, 1e-5, `flat graph layer ${l}`));
    (out.gen!.data as Float32Array).forEach((v, s) => expectRelativeClose(v, alone.gen[s]!, 1e-5, `flat graph gen ${s}`));
    await flat.release();
  } finally {
    await Promise.all([ref.close(), syn.close(), engine.dispose(), synOnly.dispose()]);
  }
}, 60_000);

test('a BigVGAN v2 file read as bigvgan-v1 is refused, naming the CQT keys v1 would leave unused', async () => {
  const golden = goldenCase('bigvgan-v2');
  await expect(loadCheckpoint(golden.checkpoint!, { family: 'bigvgan-v1' })).rejects.toThrow(/conv_pres|cqt_transform|resample\.kernel/);
});

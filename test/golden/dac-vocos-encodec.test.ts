/**
 * Golden parity of the complex-STFT families (DAC, Vocos, EnCodec/AudioCraft) and of every
 * family's own losses (`--loss native`): the whole file through the library API (family
 * detected from the checkpoint alone) and the CLI, then, through the engine, the golden pair
 * as a batch of two (batched = alone = golden), windows of it batched against alone in both
 * graph modes, and the flat (GPU) graph against the isolated (CPU) one.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAudio } from '../../src/audio/index.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { buildDiscriminatorGraph } from '../../src/engine/discriminator-graph.js';
import { DiscriminatorEngine } from '../../src/engine/engine.js';
import { createScorer } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { expectGoldenResult, expectRelativeClose, goldenCase, TOLERANCE, type GoldenCase } from '../helpers/golden.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const CASES = ['dac', 'vocos', 'encodec'] as const;

let dir: string;
beforeAll(() => {
  dir = tempDir('golden-modern-c');
});
afterAll(() => removeDir(dir));

/** Constants the golden `native_losses` record beside the values (the loss's parameters). */
const PARAMETERS = new Set(['mrd_loss_coeff', 'tau']);

/** The golden `native_losses` values (numbers that are not parameters; the rest documents them). */
function goldenNative(golden: GoldenCase): [string, number][] {
  const native = (golden.expected as unknown as { native_losses: Record<string, unknown> }).native_losses;
  return Object.entries(native).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && !PARAMETERS.has(entry[0]));
}

test.each(CASES)('%s: detected from the checkpoint alone; whole-file scores and native losses match PyTorch (library API)', async (name) => {
  const golden = goldenCase(name);
  const scorer = await createScorer({ weights: golden.checkpoint!, segment: 0, align: 'none', loss: 'native' });
  try {
    expect(scorer.model.family).toBe(golden.expected.family);
    expect(scorer.model.sampleRate).toBe(golden.expected.sample_rate);
    expect(scorer.model.loss).toBe('native');
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    expectGoldenResult(result, golden);
    const expected = goldenNative(golden);
    expect(Object.keys(result.native ?? {}).sort()).toEqual(expected.map(([k]) => k).sort());
    expect([...scorer.model.nativeLosses!].sort()).toEqual(expected.map(([k]) => k).sort());
    for (const [key, value] of expected) expectRelativeClose(result.native![key], value, TOLERANCE.total, `${name} native ${key}`);
  } finally {
    await scorer.dispose();
  }
});

test.each(CASES)('%s: --loss native in the CLI: the JSON model block says so and the records carry native_<name>', async (name) => {
  const golden = goldenCase(name);
  const manifest = path.join(dir, `${name}.csv`);
  writeFileSync(manifest, `ref,syn\n"${golden.ref}","${golden.syn}"\n`);
  const run = await runMain(['score', '--pairs', manifest, '--format', 'json', '--quiet', '--align', 'none', '--segment', '0', '--weights', golden.checkpoint!, '--loss', 'native']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { files: Record<string, unknown>[]; model: { subs: string[]; family: string; loss: string; native_losses: string[] } };
  expect(doc.model.family).toBe(golden.expected.family);
  expect(doc.model.loss).toBe('native');
  const record = doc.files[0]!;
  const layers = record.fm_layers as Record<string, number[]>;
  // The standard scores keep their one definition beside the native ones.
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
  for (const [key, value] of goldenNative(golden)) {
    expect(doc.model.native_losses).toContain(key);
    expectRelativeClose(record[`native_${key}`] as number, value, TOLERANCE.total, `${name} CLI native_${key}`);
  }
});

const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);

test.each(CASES)('%s: batches of windows give each the values it gets alone, in both graph modes and graph forms', async (name) => {
  const golden = goldenCase(name);
  const rate = golden.expected.sample_rate;
  const { model } = await loadCheckpoint(golden.checkpoint!);
  const engine = await DiscriminatorEngine.create(model, 'pair', { native: true });
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
    twice[1]!.native!.forEach((v, i) => expectRelativeClose(v, twice[0]!.native![i]!, 1e-6, `batched native term ${i}`));
    // Three different windows of 0.3 s (not a multiple of any hop), rotated in the batch.
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
      for (const key of ['gen', 'real', 'fake', 'native'] as const) inBatch[key]!.forEach((v, s) => expectRelativeClose(v, alone[key]![s]!, 1e-5, `window ${i} ${key} ${s} batched vs alone`, 1e-9));
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

const TPRLS_CASES = ['styletts2'] as const;

/** The README's TPRLS tolerance: an element flipping across the median moves these slightly. */
const TPRLS = { relative: 1e-2, absolute: 1e-6 } as const;

test.each(TPRLS_CASES)('%s: native losses with the TPRLS terms, in total and per sub (TPRLS tolerance)', async (name) => {
  const golden = goldenCase(name);
  const native = (golden.expected as unknown as { native_losses: { tprls_per_sub: { name: string; generator_tprls: number; discriminator_tprls: number }[] } }).native_losses;
  const scorer = await createScorer({ weights: golden.checkpoint!, segment: 0, align: 'none', loss: 'native' });
  try {
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    for (const [key, value] of goldenNative(golden)) {
      const tprls = key.includes('tprls') || key === 'generator_loss' || key === 'discriminator_loss';
      if (tprls) expectRelativeClose(result.native![key], value, TPRLS.relative, `${name} native ${key}`, TPRLS.absolute);
      else expectRelativeClose(result.native![key], value, TOLERANCE.total, `${name} native ${key}`);
    }
  } finally {
    await scorer.dispose();
  }
  const { model } = await loadCheckpoint(golden.checkpoint!);
  const engine = await DiscriminatorEngine.create(model, 'pair', { native: true });
  const [ref, syn] = await Promise.all([openAudio(golden.ref), openAudio(golden.syn)]);
  try {
    const rate = golden.expected.sample_rate;
    const out = (await engine.run([await ref.read(rate, 0, golden.expected.samples)], [await syn.read(rate, 0, golden.expected.samples)]))[0]!;
    expect(engine.nativeColumns).toEqual(['tprls_gen', 'tprls_disc']);
    native.tprls_per_sub.forEach((sub, i) => {
      expect(model.subs[i]!.name).toBe(sub.name);
      expectRelativeClose(out.native![2 * i], sub.generator_tprls, TPRLS.relative, `${sub.name} generator TPRLS`, TPRLS.absolute);
      expectRelativeClose(out.native![2 * i + 1], sub.discriminator_tprls, TPRLS.relative, `${sub.name} discriminator TPRLS`, TPRLS.absolute);
    });
  } finally {
    await Promise.all([ref.close(), syn.close(), engine.dispose()]);
  }
}, 60_000);

// RVC and BigVGAN v2 train with the standard LSGAN terms and 2 x feature loss: their native
// values are the golden standard totals (the RVC file at its 48 kHz).
test.each(['rvc-v2', 'bigvgan-v2'])('%s: native losses are the standard definitions', async (name) => {
  const golden = goldenCase(name);
  const scorer = await createScorer({ weights: golden.checkpoint!, segment: 0, align: 'none', loss: 'native', sampleRate: golden.expected.sample_rate });
  try {
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    expect(scorer.model.nativeLosses).toEqual(['generator_loss', 'feature_loss', 'discriminator_loss']);
    expectRelativeClose(result.native!.generator_loss, golden.expected.gen, TOLERANCE.total, `${name} native generator_loss`);
    expectRelativeClose(result.native!.feature_loss, golden.expected.fm, TOLERANCE.total, `${name} native feature_loss`);
    expectRelativeClose(result.native!.discriminator_loss, golden.expected.disc, TOLERANCE.total, `${name} native discriminator_loss`);
  } finally {
    await scorer.dispose();
  }
}, 60_000);

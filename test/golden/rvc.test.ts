/**
 * Golden parity of RVC v2: a training `D_*.pth` (fp32, AdamW state beside the weights) and the
 * layout of the official fp16 pretrained `f0D48k.pth`, both scored at 48 kHz. The family is
 * detected from the file alone (they used to load as gpt-sovits-v2pro with period 37 dropped);
 * the rate, which the weights cannot tell (one layout serves 32/40/48 kHz), comes from
 * --sample-rate or RVC's config.json beside the file. Then, through the engine, the pair as a
 * batch of two, windows batched against alone in both graph modes, and the flat (GPU) graph.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAudio } from '../../src/audio/index.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { buildDiscriminatorGraph } from '../../src/engine/discriminator-graph.js';
import { DiscriminatorEngine } from '../../src/engine/engine.js';
import { createScorer } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { expectGoldenResult, expectRelativeClose, goldenCase, TOLERANCE } from '../helpers/golden.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const CASES = ['rvc-v2', 'rvc-v2-pretrained'] as const;

let dir: string;
beforeAll(() => {
  dir = tempDir('golden-rvc');
});
afterAll(() => removeDir(dir));

test.each(CASES)('%s: detected as rvc-v2 from the file alone; whole-file scores match PyTorch at --sample-rate 48000 (library API)', async (name) => {
  const golden = goldenCase(name);
  expect(golden.expected.sample_rate).toBe(48000);
  const scorer = await createScorer({ weights: golden.checkpoint!, sampleRate: 48000, segment: 0, align: 'none' });
  try {
    expect(scorer.model.family).toBe('rvc-v2');
    expect(scorer.model.subs).toEqual(['s', 'p2', 'p3', 'p5', 'p7', 'p11', 'p17', 'p23', 'p37']);
    expect(scorer.model.sampleRate).toBe(48000);
    expect(scorer.model.sampleRateSource).toBe('--sample-rate');
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    expect(result.sampleRate).toBe(48000);
    expectGoldenResult(result, golden);
  } finally {
    await scorer.dispose();
  }
});

test.each(CASES)('%s: whole-file scores match PyTorch (CLI, JSON record and model block)', async (name) => {
  const golden = goldenCase(name);
  const manifest = path.join(dir, `${name}.csv`);
  writeFileSync(manifest, `ref,syn\n"${golden.ref}","${golden.syn}"\n`);
  const run = await runMain(['score', '--pairs', manifest, '--format', 'json', '--quiet', '--align', 'none', '--segment', '0', '--weights', golden.checkpoint!, '--sample-rate', '48000']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { files: Record<string, unknown>[]; model: { subs: string[]; family: string; sample_rate: number; sample_rate_source: string } };
  expect(doc.model).toMatchObject({ family: 'rvc-v2', sample_rate: 48000, sample_rate_source: '--sample-rate' });
  const record = doc.files[0]!;
  const layers = record.fm_layers as Record<string, number[]>;
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

test('rvc-v2: the rate comes from RVC\'s config.json beside the file, else the family default (40 kHz)', async () => {
  const golden = goldenCase('rvc-v2');
  const plain = await loadCheckpoint(golden.checkpoint!);
  expect(plain.info.sampleRate).toBe(40000);
  expect(plain.info.sampleRateSource).toBe('family default (rvc-v2)');
  expect(plain.model.family.sampleRate).toBe(40000);
  // A training run's folder: logs/<exp>/D_2333333.pth beside config.json (data.sampling_rate).
  const run = path.join(dir, 'logs-exp');
  removeDir(run);
  mkdirSync(run, { recursive: true });
  symlinkSync(golden.checkpoint!, path.join(run, 'D_2333333.pth'));
  writeFileSync(path.join(run, 'config.json'), JSON.stringify({ train: { batch_size: 4 }, data: { sampling_rate: 48000, hop_length: 480 } }));
  const beside = await loadCheckpoint(path.join(run, 'D_2333333.pth'));
  expect(beside.info.sampleRate).toBe(48000);
  expect(beside.info.sampleRateSource).toBe(`data.sampling_rate in ${path.join(run, 'config.json')}`);
  // --sample-rate overrides a config file (only the checkpoint's own metadata is binding).
  expect((await loadCheckpoint(path.join(run, 'D_2333333.pth'), { sampleRate: 32000 })).info.sampleRate).toBe(32000);
});

const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);

test.each(CASES)('%s: batches of windows give each the values it gets alone, in both graph modes and graph forms', async (name) => {
  const golden = goldenCase(name);
  const rate = golden.expected.sample_rate;
  const { model } = await loadCheckpoint(golden.checkpoint!, { sampleRate: rate });
  const engine = await DiscriminatorEngine.create(model, 'pair');
  const synOnly = await DiscriminatorEngine.create(model, 'syn-only');
  const [ref, syn] = await Promise.all([openAudio(golden.ref), openAudio(golden.syn)]);
  try {
    const whole = [await ref.read(rate, 0, golden.expected.samples), await syn.read(rate, 0, golden.expected.samples)] as const;
    const twice = await engine.run([whole[0], whole[0]], [whole[1], whole[1]]);
    for (const item of twice) {
      expectRelativeClose(2 * sum(item.fmLayers), golden.expected.fm, TOLERANCE.total, 'batched fm');
      expectRelativeClose(sum(item.gen), golden.expected.gen, TOLERANCE.total, 'batched gen');
      expectRelativeClose(sum(item.real) + sum(item.fake), golden.expected.disc, TOLERANCE.total, 'batched disc');
    }
    // Three 0.3 s windows (lengths not multiples of 37 or 23, so the period subs pad), rotated in the batch.
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
      inBatch.fmLayers.forEach((v, l) => expectRelativeClose(v, alone.fmLayers[l]!, 1e-5, `window ${i} layer ${l} batched vs alone`, 1e-9));
      for (const key of ['gen', 'real', 'fake'] as const) inBatch[key].forEach((v, s) => expectRelativeClose(v, alone[key][s]!, 1e-5, `window ${i} ${key} ${s} batched vs alone`));
      for (const key of ['gen', 'fake'] as const) synBatch[slot]![key].forEach((v, s) => expectRelativeClose(v, inBatch[key][s]!, 1e-5, `window ${i} ${key} ${s} syn-only vs pair`));
    }
    const ort = await import('onnxruntime-node');
    const flat = await ort.InferenceSession.create(buildDiscriminatorGraph(model, 'pair').bytes());
    const tensor = (x: Float32Array) => new ort.Tensor('float32', x, [1, x.length]);
    const out = await flat.run({ ref: tensor(refs[0]!), syn: tensor(syns[0]!) });
    const alone = (await engine.run([refs[0]!], [syns[0]!]))[0]!;
    (out.fm_layers!.data as Float32Array).forEach((v, l) => expectRelativeClose(v, alone.fmLayers[l]!, 1e-5, `flat graph layer ${l}`, 1e-9));
    (out.gen!.data as Float32Array).forEach((v, s) => expectRelativeClose(v, alone.gen[s]!, 1e-5, `flat graph gen ${s}`));
    await flat.release();
  } finally {
    await Promise.all([ref.close(), syn.close(), engine.dispose(), synOnly.dispose()]);
  }
}, 60_000);

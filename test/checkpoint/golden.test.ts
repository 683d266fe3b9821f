import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { openContainer } from '../../src/checkpoint/format.js';
import { readCheckpoint } from '../../src/checkpoint/load.js';
import { MemorySource, type ByteSource } from '../../src/checkpoint/source.js';
import { TensorRef } from '../../src/checkpoint/tensor.js';
import { PyDict } from '../../src/checkpoint/values.js';
import { entryDataOffset, readZipDirectory } from '../../src/checkpoint/zip.js';
import type { ConvLayer, SubDiscriminatorSpec } from '../../src/model/types.js';
import { GOLDEN_CASES, goldenBytes, goldenExpected, goldenPath, type GoldenCase } from './helpers.js';

/** A resolved conv as expected.json writes it: [in, out, kernel, stride, groups, padding], 1-D as numbers. */
function row(conv: ConvLayer): unknown[] {
  const flat = (xs: readonly number[]) => (xs.length === 1 ? xs[0] : [...xs]);
  return [conv.in, conv.out, flat(conv.kernel), flat(conv.stride), conv.groups, flat(conv.padding)];
}

function architecture(sub: SubDiscriminatorSpec): Record<string, unknown> {
  const input = sub.input;
  const base = { name: sub.name, prefix: sub.prefix, slope: sub.slope, norm: sub.norm, convs: sub.convs.map(row), post: row(sub.post) };
  if (input.kind === 'waveform') return { ...base, type: 'waveform', pool: input.pool };
  if (input.kind === 'period') return { ...base, type: 'period', period: input.period };
  if (input.kind === 'resolution') return { ...base, type: 'resolution', n_fft: input.nFft, hop: input.hop, win: input.win };
  throw new Error(`${sub.prefix}: no golden architecture row for input ${input.kind}`);
}

const FORMAT: Record<string, string> = {
  'gptsovits-pretrained': 'torch-zip',
  'gptsovits-v2pro-train': 'torch-zip',
  'gptsovits-safetensors': 'safetensors',
  'sovits5-pretrain': 'torch-legacy',
  'hifigan-do': 'torch-zip',
  'bigvgan-v1-do': 'torch-zip',
};

const LAYOUT: Record<string, string> = {
  'gptsovits-pretrained': "{'weight'}",
  'gptsovits-v2pro-train': "{'model','iteration','optimizer','learning_rate'}",
  'gptsovits-safetensors': 'state dict',
  'sovits5-pretrain': "{'model_g','model_d'}",
  'hifigan-do': "{'mpd','msd','optim_g','optim_d','steps','epoch'}",
  'bigvgan-v1-do': "{'mpd','mrd','optim_g','optim_d','steps','epoch'}",
};

describe.each(GOLDEN_CASES.map((c) => [c.name, c] as [string, GoldenCase]))('golden checkpoint %s', (_, c) => {
  test('loads, detects its family, and resolves to the architecture in expected.json', async () => {
    const expected = goldenExpected(c);
    const loaded = await loadCheckpoint(goldenPath(c));
    expect(loaded.info.family).toBe(c.family);
    expect(loaded.model.family.name).toBe(c.family);
    expect(loaded.model.subs.map(architecture)).toEqual(expected.architecture.subs);
    expect(loaded.model.family.sampleRate).toBe(expected.architecture.sample_rate);
  });

  test('info: format, layout, precision, size and sha256 of the whole file', async () => {
    const file = readFileSync(goldenPath(c));
    const { info } = await loadCheckpoint(goldenPath(c));
    expect(info.path).toBe(goldenPath(c));
    expect(info.format).toBe(FORMAT[c.name]);
    expect(info.layout).toBe(LAYOUT[c.name]);
    expect(info.precision).toBe(c.name === 'gptsovits-pretrained' ? 'float16' : 'float32');
    expect(info.bytes).toBe(file.length);
    expect(info.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  });

  test('loading the bytes from memory gives the same weights and hash', async () => {
    const fromFile = await loadCheckpoint(goldenPath(c));
    const fromMemory = await loadCheckpoint(goldenBytes(c), { name: 'mem' });
    expect(fromMemory.info).toEqual({ ...fromFile.info, path: 'mem' });
    expect([...fromMemory.model.weights.keys()]).toEqual([...fromFile.model.weights.keys()]);
    for (const [key, t] of fromFile.model.weights) {
      const other = fromMemory.model.weights.get(key)!;
      // Byte comparison: jest's deep equality walks typed arrays element by element (slow).
      expect(Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
    }
  });
});

describe('golden checkpoints: effective weights against an independent numpy computation', () => {
  // sum, sum of |w| and the first values of a few folded tensors, computed in float64 with numpy
  // from the raw files (weight_g * weight_v / ||weight_v||, spectral norm weight_orig / (u . W v)).
  const REFERENCE: [string, string, number, number, number[]][] = [
    ['gptsovits-pretrained', 'discriminators.0.convs.1.weight', -1.4558295700317103, 39.39623724725425, [0.03554127737879753, 0.019389675930142403, 0.06840677559375763]],
    ['gptsovits-pretrained', 'discriminators.5.conv_post.weight', -0.8561662736374274, 7.2087491849870275, [0.020085318014025688, -0.023498142138123512, -1.630358565307688e-5]],
    ['gptsovits-v2pro-train', 'discriminators.7.convs.4.weight', 6.870485375996964, 562.3502327979402, [-0.0609809085726738, -0.07953125983476639, 0.04856840521097183]],
    ['gptsovits-safetensors', 'discriminators.2.convs.0.weight', -1.4618199989199638, 4.396993651986122, [-0.265943318605423, 0.2778247594833374, 0.09643987566232681]],
    ['sovits5-pretrain', 'MRD.discriminators.3.convs.2.weight', 2.3583094955129127, 25.167070963286278, [0.0685904398560524, 0.030305873602628708, 0.0034927951637655497]],
    ['sovits5-pretrain', 'MSD.conv_post.bias', -0.003133308608084917, 0.003133308608084917, [-0.003133308608084917]],
    ['hifigan-do', 'msd.discriminators.0.convs.3.weight', -1.1483609179430232, 592.7444535208541, [-0.04799138754606247, -0.027230624109506607, -0.03583049401640892]],
    ['hifigan-do', 'msd.discriminators.2.convs.6.weight', -9.607349190319837, 577.4962470882965, [0.027049442753195763, -0.012071751058101654, 0.039151933044195175]],
    ['bigvgan-v1-do', 'mrd.discriminators.2.conv_post.weight', -0.557964088206063, 2.54103344232135, [-0.04618663713335991, 0.07259970158338547, 0.0955386757850647]],
  ];
  test.each(REFERENCE)('%s %s', async (name, key, sum, absSum, first) => {
    const c = GOLDEN_CASES.find((g) => g.name === name)!;
    const { model } = await loadCheckpoint(goldenPath(c));
    const w = model.weights.get(key)!;
    let s = 0;
    let a = 0;
    for (const x of w.data) {
      s += x;
      a += Math.abs(x);
    }
    expect(s).toBeCloseTo(sum, 4);
    expect(a / absSum).toBeCloseTo(1, 6);
    first.forEach((x, i) => expect(w.data[i]).toBeCloseTo(x, 7));
  });
});

/** Records every range read (hashing is not part of readCheckpoint). */
class RecordingSource implements ByteSource {
  readonly reads: [number, number][] = [];
  private readonly inner: MemorySource;
  readonly size: number;
  constructor(data: Uint8Array) {
    this.inner = new MemorySource(data);
    this.size = data.length;
  }
  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    this.reads.push([offset, offset + length]);
    return this.inner.read(offset, length, what);
  }
  sha256(): Promise<string> {
    return this.inner.sha256();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function overlaps(reads: readonly [number, number][], ranges: readonly [number, number][]): [number, number][] {
  return reads.filter(([a, b]) => ranges.some(([c, d]) => a < d && c < b));
}

describe('only discriminator tensors are read', () => {
  test('torch zip: no byte of the AdamW state in D_2333.pth is read', async () => {
    const c = GOLDEN_CASES.find((g) => g.name === 'gptsovits-v2pro-train')!;
    const data = goldenBytes(c);
    const probe = new MemorySource(data);
    const root = (await openContainer(probe)).root as PyDict;
    const optimizerKeys = new Set<string>();
    const walk = (v: unknown, depth: number): void => {
      if (depth > 6) return;
      if (v instanceof TensorRef) optimizerKeys.add(v.storage.root.key);
      else if (v instanceof PyDict) for (const x of v.map.values()) walk(x, depth + 1);
      else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    };
    walk(root.map.get('optimizer'), 0);
    expect(optimizerKeys.size).toBeGreaterThan(100);
    const entries = await readZipDirectory(probe);
    const ranges: [number, number][] = [];
    for (const e of entries) {
      const key = e.name.split('/data/')[1];
      if (key !== undefined && optimizerKeys.has(key)) {
        const start = await entryDataOffset(probe, e);
        ranges.push([start, start + e.size]);
      }
    }
    const optimizerBytes = ranges.reduce((n, [a, b]) => n + b - a, 0);
    expect(optimizerBytes).toBeGreaterThan(data.length / 2);

    const recording = new RecordingSource(data);
    await readCheckpoint(recording);
    expect(overlaps(recording.reads, ranges)).toEqual([]);
    const read = recording.reads.reduce((n, [a, b]) => n + b - a, 0);
    expect(read).toBeLessThan(data.length - optimizerBytes);
  });

  test('torch legacy: no byte of the generator weights in sovits5.pretrain.pth is read', async () => {
    const c = GOLDEN_CASES.find((g) => g.name === 'sovits5-pretrain')!;
    const data = goldenBytes(c);
    const probe = new MemorySource(data);
    const root = (await openContainer(probe)).root as PyDict;
    const generator = root.map.get('model_g') as PyDict;
    const ranges: [number, number][] = [];
    for (const v of generator.map.values()) {
      if (!(v instanceof TensorRef)) continue;
      const start = await v.storage.root.locate();
      ranges.push([start, start + v.storage.root.numel * 4]);
    }
    expect(ranges.length).toBeGreaterThan(0);
    const recording = new RecordingSource(data);
    await readCheckpoint(recording);
    expect(overlaps(recording.reads, ranges)).toEqual([]);
  });
});

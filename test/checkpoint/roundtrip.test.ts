import { CheckpointError, UsageError } from '../../src/errors.js';
import { decodeToFloat32 } from '../../src/checkpoint/dtypes.js';
import { toBfloat16Bits, toHalfBits } from '../support/checkpoint-writers/encode.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import {
  adamWState,
  pyFloat,
  safetensors,
  stateDict,
  storage,
  torchLegacy,
  torchZip,
  view,
  weightNormKeys,
  withPrefix,
  orderedDict,
  type SaveValue,
  type StateDict,
  type WriterDtype,
} from '../support/checkpoint-writers/writers.js';
import { maxRelativeError, sameFloats, tinyWeights } from './helpers.js';

/** Weights as a file of `dtype` holds them: rounded to that precision. */
function rounded(data: Float32Array, dtype: WriterDtype): Float32Array {
  if (dtype === 'float32' || dtype === 'float64') return data;
  const bits = Uint16Array.from(data, (x) => (dtype === 'float16' ? toHalfBits(x) : toBfloat16Bits(x)));
  return decodeToFloat32(new Uint8Array(bits.buffer), dtype, true, data.length);
}

function expectWeights(loaded: Awaited<ReturnType<typeof loadCheckpoint>>, sd: StateDict, tolerance: number): void {
  // One expectation for the whole map: jest's per-call overhead dominates otherwise.
  const bad: string[] = [];
  for (const [key, w] of sd) {
    const got = loaded.model.weights.get(key);
    if (!got) bad.push(`${key}: missing`);
    else if (got.shape.join() !== w.shape.join()) bad.push(`${key}: shape [${got.shape.join(', ')}]`);
    else if (!(maxRelativeError(got, w) <= tolerance)) bad.push(`${key}: error ${maxRelativeError(got, w)}`);
  }
  expect(bad).toEqual([]);
  expect(loaded.model.weights.size).toBe(sd.size);
}

const gpt = tinyWeights('gpt-sovits');

describe('round trips through the fixture writers', () => {
  test('torch zip, fp32, {"weight": sd} with weight-norm g/v keys', async () => {
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', stateDict(weightNormKeys(gpt))]])));
    expect(loaded.info).toMatchObject({ format: 'torch-zip', layout: "{'weight'}", precision: 'float32', family: 'gpt-sovits', path: '<memory>' });
    expectWeights(loaded, gpt, 1e-6);
  });

  test('torch zip, fp16 like s2D488k.pth: within half precision of the weights', async () => {
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', stateDict(weightNormKeys(gpt), 'float16')]])));
    expect(loaded.info.precision).toBe('float16');
    // g and v are each rounded to 11 significant bits; the folded weight carries both errors.
    expectWeights(loaded, gpt, 2e-3);
    // ... and is not simply the float32 weight (the test would pass for a loader ignoring dtype).
    const w = loaded.model.weights.get('discriminators.1.convs.0.weight')!;
    expect(sameFloats(w.data, gpt.get('discriminators.1.convs.0.weight')!.data)).toBe(false);
  });

  test.each(['float64', 'bfloat16'] as WriterDtype[])('torch zip with %s storages', async (dtype) => {
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', stateDict(gpt, dtype)]])));
    expect(loaded.info.precision).toBe(dtype);
    for (const [key, w] of gpt) expect(sameFloats(loaded.model.weights.get(key)!.data, rounded(w.data, dtype))).toBe(true);
  });

  test.each(['float32', 'float16', 'float64', 'bfloat16'] as WriterDtype[])('big-endian torch zip (byteorder record), %s', async (dtype) => {
    const little = await loadCheckpoint(torchZip(new Map([['weight', stateDict(gpt, dtype)]])));
    const big = await loadCheckpoint(torchZip(new Map([['weight', stateDict(gpt, dtype)]]), { byteorder: 'big' }));
    for (const [key, w] of little.model.weights) expect(sameFloats(big.model.weights.get(key)!.data, w.data)).toBe(true);
  });

  test('ZIP64 directory fields, another top-level folder name', async () => {
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', stateDict(weightNormKeys(gpt))]]), { zip64: true, folder: 's2D488k' }));
    expectWeights(loaded, gpt, 1e-6);
  });

  test('torch legacy format, {"model_g", "model_d"} (so-vits-svc 5.0)', async () => {
    const sd = tinyWeights('sovits5');
    const generator = new Map([['dec.conv_pre.weight', { shape: [4, 3, 7], data: new Float32Array(84).fill(0.5) }]]);
    const file = torchLegacy(new Map([['model_g', stateDict(generator)], ['model_d', stateDict(weightNormKeys(sd))]]));
    const loaded = await loadCheckpoint(file);
    expect(loaded.info).toMatchObject({ format: 'torch-legacy', layout: "{'model_g','model_d'}", family: 'sovits5', precision: 'float32' });
    expectWeights(loaded, sd, 1e-6);
  });

  test('safetensors with new-API keys (parametrizations.weight.original0/1)', async () => {
    const loaded = await loadCheckpoint(safetensors(weightNormKeys(gpt, { api: 'parametrizations' })));
    expect(loaded.info).toMatchObject({ format: 'safetensors', layout: 'state dict', family: 'gpt-sovits' });
    expectWeights(loaded, gpt, 1e-6);
  });

  test('safetensors fp16', async () => {
    const loaded = await loadCheckpoint(safetensors(gpt, { dtype: 'float16' }));
    for (const [key, w] of gpt) expect(sameFloats(loaded.model.weights.get(key)!.data, rounded(w.data, 'float16'))).toBe(true);
  });

  test("DDP 'module.' prefixes: leading, inside a sub-dict, in safetensors", async () => {
    const leading = await loadCheckpoint(torchZip(new Map([['model', stateDict(withPrefix(weightNormKeys(gpt), 'module.'))]])));
    expect(leading.info.layout).toBe("{'model'} with DDP 'module.' prefixes");
    expectWeights(leading, gpt, 1e-6);

    const hifi = tinyWeights('hifigan');
    const part = (prefix: string) => withPrefix(new Map([...hifi].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])), 'module.');
    const nested = await loadCheckpoint(torchZip(new Map([['mpd', stateDict(part('mpd.'))], ['msd', stateDict(part('msd.'))]])));
    expect(nested.info.family).toBe('hifigan');
    expectWeights(nested, hifi, 1e-6);

    const flat = await loadCheckpoint(safetensors(withPrefix(gpt, 'module.')));
    expectWeights(flat, gpt, 1e-6);
  });

  test('a bare state dict (no wrapper) and the same keys twice through a module. prefix', async () => {
    const bare = await loadCheckpoint(torchZip(stateDict(gpt)));
    expect(bare.info.layout).toBe('state dict');
    expectWeights(bare, gpt, 0);
    const twice = new Map([...gpt, ...withPrefix(gpt, 'module.')]);
    await expect(loadCheckpoint(torchZip(stateDict(twice)))).rejects.toThrow(/two tensors for "discriminators.0.convs.0.weight"/);
  });

  test('training checkpoint {"model","iteration","optimizer","learning_rate"} of v2Pro with AdamW state', async () => {
    const sd = weightNormKeys(tinyWeights('gpt-sovits-v2pro'));
    const file = torchZip(
      new Map<string, SaveValue>([
        ['model', stateDict(sd)],
        ['iteration', 2333],
        ['optimizer', adamWState(sd)],
        ['learning_rate', pyFloat(1e-4)],
      ]),
    );
    const loaded = await loadCheckpoint(file);
    expect(loaded.info).toMatchObject({ family: 'gpt-sovits-v2pro', layout: "{'model','iteration','optimizer','learning_rate'}" });
    expect(loaded.model.subs.map((s) => s.name)).toEqual(['s', 'p2', 'p3', 'p5', 'p7', 'p11', 'p17', 'p23']);
  });

  test('mixed precision is reported', async () => {
    const mixed = new Map([...gpt].map(([k, v]) => [k, k.endsWith('.bias') ? { ...v, dtype: 'float16' as const } : v]));
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', stateDict(mixed)]])));
    expect(loaded.info.precision).toBe('mixed: float16, float32');
  });

  test('views: a shared storage with offsets, a transposed (strided) weight', async () => {
    // Every bias of discriminators.1 lives in one storage, one after the other.
    const sd = new Map(gpt);
    const biasKeys = [...sd.keys()].filter((k) => k.startsWith('discriminators.1.') && k.endsWith('.bias'));
    const total = biasKeys.reduce((n, k) => n + sd.get(k)!.data.length, 0);
    const shared = storage(new Float32Array(total + 3));
    const entries = new Map<string, SaveValue>();
    let offset = 3;
    for (const [key, w] of sd) {
      if (biasKeys.includes(key)) {
        shared.data.set(w.data, offset);
        entries.set(key, view(shared, offset, w.shape));
        offset += w.data.length;
      } else if (key === 'discriminators.0.convs.5.weight') {
        // Store W as [k, in, out] contiguous and view it back as [out, in, k] with strides.
        const [out, inCh, k] = w.shape as [number, number, number];
        const transposed = new Float32Array(w.data.length);
        for (let o = 0; o < out; o++) for (let i = 0; i < inCh; i++) for (let j = 0; j < k; j++) transposed[j * inCh * out + i * out + o] = w.data[(o * inCh + i) * k + j]!;
        entries.set(key, view(storage(transposed), 0, w.shape, [1, out, inCh * out]));
      } else {
        entries.set(key, view(storage(w.data), 0, w.shape));
      }
    }
    const loaded = await loadCheckpoint(torchZip(new Map([['weight', orderedDict(entries)]])));
    expectWeights(loaded, gpt, 0);
  });
});

describe('container details', () => {
  test('a zip archive comment (end record not in the last 22 bytes)', async () => {
    const file = torchZip(new Map([['weight', stateDict(gpt)]]));
    const comment = new TextEncoder().encode('saved by a tool that adds comments');
    const withComment = new Uint8Array(file.length + comment.length);
    withComment.set(file);
    withComment.set(comment, file.length);
    new DataView(withComment.buffer).setUint16(file.length - 2, comment.length, true);
    expectWeights(await loadCheckpoint(withComment), gpt, 0);
  });

  test('legacy header pickles larger than the first read (1 MB) are read in full', async () => {
    const sd = tinyWeights('sovits5', { divisor: 32 });
    const file = torchLegacy(new Map<string, SaveValue>([['hp_str', 'x'.repeat(3_000_000)], ['model_d', stateDict(sd)]]));
    expectWeights(await loadCheckpoint(file), sd, 0);
  });

  test('legacy storage view metadata (view_key, offset, size) selects a slice of the root storage', async () => {
    // Storage "0" holds 3 padding values then a bias; the tensor views it at offset 3.
    const sd = tinyWeights('sovits5', { divisor: 32 });
    const key = 'MRD.discriminators.0.convs.0.bias';
    const bias = sd.get(key)!;
    const shared = storage(new Float32Array(bias.data.length + 3).fill(9));
    shared.data.set(bias.data, 3);
    const entries = new Map<string, SaveValue>([[key, view(shared, 3, bias.shape)]]);
    for (const [k, t] of sd) if (k !== key) entries.set(k, view(storage(t.data), 0, t.shape));
    const file = torchLegacy(new Map([['model_d', orderedDict(entries)]]));
    // Rewrite the first persistent id's view metadata None -> ('v0', 3, n) and the tensor's
    // storage offset 3 -> 0: the same values, now reached through a storage view.
    const n = bias.data.length;
    const before = Buffer.from([0x4e, 0x74, 0x51, 0x4b, 3]);
    const after = Buffer.from([0x58, 2, 0, 0, 0, 0x76, 0x30, 0x4b, 3, 0x4b, n, 0x87, 0x74, 0x51, 0x4b, 0]);
    const bytes = Buffer.from(file);
    const at = bytes.indexOf(before);
    expect(at).toBeGreaterThan(0);
    const patched = new Uint8Array(Buffer.concat([bytes.subarray(0, at), after, bytes.subarray(at + before.length)]));
    const loaded = await loadCheckpoint(patched);
    expect(sameFloats(loaded.model.weights.get(key)!.data, bias.data)).toBe(true);
    // A view reaching past its root storage is refused.
    const beyond = Buffer.from(after);
    beyond[10] = n + 1;
    const bad = new Uint8Array(Buffer.concat([bytes.subarray(0, at), beyond, bytes.subarray(at + before.length)]));
    await expect(loadCheckpoint(bad)).rejects.toThrow(/invalid storage view metadata for "0"/);
  });
});

describe('family choice', () => {
  test('detection prefers v2Pro when discriminators.6 and .7 exist, gpt-sovits otherwise', async () => {
    const v1 = await loadCheckpoint(safetensors(gpt));
    expect(v1.info.family).toBe('gpt-sovits');
    const v2pro = await loadCheckpoint(safetensors(tinyWeights('gpt-sovits-v2pro')));
    expect(v2pro.info.family).toBe('gpt-sovits-v2pro');
  });

  test('an explicit family or alias overrides detection', async () => {
    expect((await loadCheckpoint(safetensors(gpt), { family: 'VITS' })).info.family).toBe('gpt-sovits');
    // Forced onto a v2Pro file, gpt-sovits would score with 6 of its 8 sub-discriminators:
    // refused, naming the keys it would leave unread (never a silent partial load).
    const v2pro = safetensors(tinyWeights('gpt-sovits-v2pro'));
    const error = await loadCheckpoint(v2pro, { family: 'gpt-sovits-v2' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/24 discriminator keys that family gpt-sovits \(discriminators\.0\.\.5\) does not use: discriminators\.6\.\* \(12 keys\), discriminators\.7\.\* \(12 keys\)/);
  });

  test('an unknown family is a UsageError listing the known ones', async () => {
    const result = loadCheckpoint(safetensors(gpt), { family: 'wavenet' });
    await expect(result).rejects.toThrow(UsageError);
    await expect(loadCheckpoint(safetensors(gpt), { family: 'wavenet' })).rejects.toThrow(
      'unknown family "wavenet"; known families: gpt-sovits, gpt-sovits-v2pro, sovits5, hifigan, bigvgan-v1',
    );
    await expect(loadCheckpoint(safetensors(gpt), { family: 'wavenet' })).rejects.not.toThrow(CheckpointError);
  });

  test('the wrong explicit family names the first key it cannot find', async () => {
    await expect(loadCheckpoint(safetensors(gpt), { family: 'hifigan' })).rejects.toThrow(
      /missing key "mpd.discriminators.0.convs.0.weight" .*for family hifigan, whose weights live under mpd.discriminators.0..4, msd.discriminators.0..2/,
    );
  });

  test('failed detection says what was found and which families exist', async () => {
    const generator = new Map([
      ['enc_p.proj.weight', { shape: [4, 4, 1], data: new Float32Array(16) }],
      ['dec.conv_pre.weight', { shape: [4, 4, 7], data: new Float32Array(112) }],
    ]);
    const error = await loadCheckpoint(torchZip(new Map<string, SaveValue>([['model', stateDict(generator)], ['iteration', 1]]))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    const message = (error as Error).message;
    expect(message).toContain("top-level keys {'model','iteration'}");
    expect(message).toContain('weights under enc_p.proj, dec.conv_pre');
    expect(message).toContain('gpt-sovits (discriminators.0..5)');
    expect(message).toContain('sovits5 (MRD.discriminators.0..3, MPD.discriminators.0..4, MSD)');
    expect(message).toContain('hifigan (mpd.discriminators.0..4, msd.discriminators.0..2)');
    expect(message).toContain('bigvgan-v1 (mpd.discriminators.0..4, mrd.discriminators.0..2)');
  });

  test('a missing tensor is named, with the keys that could stand for it', async () => {
    const sd = weightNormKeys(gpt);
    sd.delete('discriminators.3.convs.2.weight_v');
    await expect(loadCheckpoint(safetensors(sd))).rejects.toThrow(
      '"discriminators.3.convs.2.weight_g" is present but "discriminators.3.convs.2.weight_v" is missing',
    );
    const noSub = new Map([...gpt].filter(([k]) => !k.startsWith('discriminators.5.')));
    await expect(loadCheckpoint(safetensors(noSub))).rejects.toThrow(/missing key "discriminators.5.convs.0.weight"/);
    const noBias = new Map([...gpt].filter(([k]) => k !== 'discriminators.4.convs.3.bias'));
    await expect(loadCheckpoint(safetensors(noBias))).rejects.toThrow(/missing key "discriminators.4.convs.3.bias" \(expected shape \[\d+\]\)/);
  });

  test('a tensor of the wrong shape is named with the expected shape', async () => {
    const sd = new Map(gpt);
    const w = sd.get('discriminators.2.convs.1.weight')!;
    sd.set('discriminators.2.convs.1.weight', { shape: [w.shape[0]!, w.shape[1]!, 3, 1], data: new Float32Array(w.data.length * 3 / 5) });
    await expect(loadCheckpoint(safetensors(sd))).rejects.toThrow(/"discriminators.2.convs.1.weight" has shape \[\d+, \d+, 3, 1\], expected \[out, in\/groups, 5, 1\]/);
  });
});

describe('float encoders used by the writers', () => {
  test('every finite half value survives decode -> encode', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = decodeToFloat32(new Uint8Array(all.buffer), 'float16', true, 65536);
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) if (((h >> 10) & 0x1f) !== 31 && toHalfBits(values[h]!) !== h) mismatches++;
    expect(mismatches).toBe(0);
  });

  test('rounding to half: nearest, ties to even, overflow to infinity, underflow to zero', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even mantissa (1.0)
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (1 + 2^-9)
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(toHalfBits(70000)).toBe(0x7c00);
    expect(toHalfBits(-1e-10)).toBe(0x8000);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
  });

  test('bfloat16 keeps the top 16 bits, rounded', () => {
    expect(toBfloat16Bits(1)).toBe(0x3f80);
    expect(toBfloat16Bits(-2)).toBe(0xc000);
    expect(toBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(toBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

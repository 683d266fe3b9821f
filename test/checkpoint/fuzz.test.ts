/**
 * Seeded mutation fuzzing of real checkpoints loaded from memory: every mutated file must end
 * in a LoadedCheckpoint or a CheckpointError with a plain message, quickly. `FUZZ_CASES=N`
 * runs more cases, `FUZZ_SEED=S` another sequence.
 */
import { CheckpointError } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { crc32 } from '../../src/checkpoint/zip.js';
import { torchLegacy, torchZip, stateDict, weightNormKeys } from '../support/checkpoint-writers/writers.js';
import type { Float32Tensor } from '../../src/model/types.js';
import { GOLDEN_CASES, goldenBytes, maxRelativeError, tinyWeights } from './helpers.js';

const CASES = Number(process.env['FUZZ_CASES'] ?? 1200);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20240611);
/** Any single load slower than this counts as a hang. */
const MAX_CASE_MS = 2000;

/** xorshift32: small, seeded, good enough to pick positions. */
function rng(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

interface Base {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The family the loader must detect in the unmutated file. */
  readonly family: string;
  readonly kind: 'zip' | 'legacy' | 'safetensors';
  /** Where the structure lives: data.pkl (zip), the header pickles (legacy), the JSON (safetensors). */
  readonly header: [number, number];
  /** Zip only: central directory offset and the CRC field of data.pkl's entry. */
  readonly zip?: { directory: number; entries: number; pklCrcAt: number };
}

function describeZip(bytes: Uint8Array): Pick<Base, 'header' | 'zip'> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let entries = view.getUint16(eocd + 10, true);
  let directory = view.getUint32(eocd + 16, true);
  if (directory === 0xffffffff) {
    const record = Number(view.getBigUint64(eocd - 20 + 8, true));
    entries = Number(view.getBigUint64(record + 32, true));
    directory = Number(view.getBigUint64(record + 48, true));
  }
  // data.pkl is the first record torch writes; ZIP64 entries keep size and offset in the extra field.
  const nameLength = view.getUint16(directory + 28, true);
  const zip64 = view.getUint32(directory + 42, true) === 0xffffffff;
  const local = zip64 ? Number(view.getBigUint64(directory + 46 + nameLength + 20, true)) : view.getUint32(directory + 42, true);
  const size = zip64 ? Number(view.getBigUint64(directory + 46 + nameLength + 4, true)) : view.getUint32(directory + 24, true);
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  return { header: [start, start + size], zip: { directory, entries, pklCrcAt: directory + 16 } };
}

function base(name: string, family: string, bytes: Uint8Array): Base {
  if (bytes[0] === 0x50) return { name, family, bytes, kind: 'zip', ...describeZip(bytes) };
  if (bytes[0] === 0x80) {
    // The header pickles end where the storage data begins; 64 kB covers them in every base here.
    return { name, family, bytes, kind: 'legacy', header: [0, Math.min(bytes.length, 65536)] };
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { name, family, bytes, kind: 'safetensors', header: [0, 8 + n] };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = (b: Base, r: (n: number) => number) => Uint8Array;

function setField(bytes: Uint8Array, at: number, width: number, value: number): void {
  for (let i = 0; i < width && at + i < bytes.length; i++) bytes[at + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
}

function randomValue(r: (n: number) => number): number {
  return r(3) === 0 ? r(0x7fffffff) : INTERESTING[r(INTERESTING.length)]!;
}

const MUTATIONS: Record<string, Mutation> = {
  flip: (b, r) => {
    const out = b.bytes.slice();
    for (let n = 1 + r(8); n > 0; n--) out[r(out.length)] ^= 1 << r(8);
    return out;
  },
  truncate: (b, r) => b.bytes.slice(0, r(b.bytes.length)),
  insert: (b, r) => {
    const at = r(b.bytes.length);
    const extra = Uint8Array.from({ length: 1 + r(64) }, () => r(256));
    const out = new Uint8Array(b.bytes.length + extra.length);
    out.set(b.bytes.subarray(0, at));
    out.set(extra, at);
    out.set(b.bytes.subarray(at), at + extra.length);
    return out;
  },
  delete: (b, r) => {
    const at = r(b.bytes.length);
    const n = 1 + r(256);
    const out = new Uint8Array(Math.max(at, b.bytes.length - n));
    out.set(b.bytes.subarray(0, at));
    out.set(b.bytes.subarray(Math.min(b.bytes.length, at + n)), at);
    return out;
  },
  field: (b, r) => {
    const out = b.bytes.slice();
    setField(out, r(out.length), [1, 2, 4, 8][r(4)]!, randomValue(r));
    return out;
  },
  header: (b, r) => {
    // Damage the structure itself: data.pkl (with its CRC fixed, so the pickle reader sees it),
    // the legacy header pickles, or the safetensors JSON.
    const out = b.bytes.slice();
    const [start, end] = b.header;
    for (let n = 1 + r(4); n > 0; n--) {
      const at = start + r(end - start);
      if (r(2) === 0) out[at] ^= 1 << r(8);
      else setField(out, at, [1, 2, 4][r(3)]!, randomValue(r));
    }
    if (b.zip) setField(out, b.zip.pklCrcAt, 4, crc32(out.subarray(start, end)));
    return out;
  },
  directory: (b, r) => {
    const out = b.bytes.slice();
    if (!b.zip) {
      setField(out, r(Math.min(16, out.length)), 1 + r(8), randomValue(r));
      return out;
    }
    const view = new DataView(out.buffer);
    if (r(4) === 0) {
      // End record: entry counts (8, 10), directory size (12) and offset (16), comment length (20).
      const eocd = out.length - 22;
      const [at, width] = [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]][r(5)] as [number, number];
      setField(out, eocd + at, width, randomValue(r));
      return out;
    }
    // A central directory entry: walk to a random one, then damage one of its fields.
    let at = b.zip.directory;
    for (let i = r(b.zip.entries); i > 0; i--) at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const [offset, width] = [[8, 2], [10, 2], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]][r(8)] as [number, number];
    setField(out, at + offset, width, randomValue(r));
    return out;
  },
};

describe('fuzzing checkpoints from memory', () => {
  // The written bases keep the effective weights they were made from, to check the load against.
  const zip64Weights = tinyWeights('gpt-sovits', { divisor: 32 });
  const legacyWeights = tinyWeights('sovits5', { divisor: 32 });
  const bases: Base[] = [
    ...GOLDEN_CASES.map((c) => base(c.name, c.family, goldenBytes(c))),
    base('writer-zip64-fp16', 'gpt-sovits', torchZip(new Map([['weight', stateDict(weightNormKeys(zip64Weights), 'float16')]]), { zip64: true })),
    base('writer-legacy', 'sovits5', torchLegacy(new Map([['model_d', stateDict(weightNormKeys(legacyWeights))]]))),
  ];

  test('unmutated bases load: the family each holds, every weight of it, finite; written ones as written', async () => {
    const written: Record<string, { weights: Map<string, Float32Tensor>; tolerance: number }> = {
      // float16 storage of v and g: a relative error of a few float16 ulps after folding.
      'writer-zip64-fp16': { weights: zip64Weights, tolerance: 5e-3 },
      'writer-legacy': { weights: legacyWeights, tolerance: 2e-5 },
    };
    for (const b of bases) {
      const loaded = await loadCheckpoint(b.bytes);
      expect([b.name, loaded.info.family]).toEqual([b.name, b.family]);
      // Every weight and bias of every conv of the family (key names do not depend on widths).
      expect([b.name, [...loaded.model.weights.keys()].sort()]).toEqual([b.name, [...tinyWeights(b.family).keys()].sort()]);
      for (const [key, w] of loaded.model.weights) {
        expect([b.name, key, w.data.length > 0 && w.data.every(Number.isFinite)]).toEqual([b.name, key, true]);
      }
      const source = written[b.name];
      if (source) for (const [key, w] of source.weights) expect([key, maxRelativeError(loaded.model.weights.get(key)!, w) < source.tolerance]).toEqual([key, true]);
    }
  });

  test(`${CASES} seeded mutations each end in a model or a CheckpointError, within ${MAX_CASE_MS} ms`, async () => {
    const r = rng(SEED);
    const names = Object.keys(MUTATIONS);
    const stats = new Map<string, { ok: number; refused: number }>(names.map((n) => [n, { ok: 0, refused: 0 }]));
    const problems: string[] = [];
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      const b = bases[i % bases.length]!;
      const name = names[r(names.length)]!;
      const mutated = MUTATIONS[name]!(b, r);
      const t0 = performance.now();
      try {
        const loaded = await loadCheckpoint(mutated);
        if (loaded.model.weights.size === 0) problems.push(`#${i} ${b.name}/${name}: loaded without weights`);
        stats.get(name)!.ok++;
      } catch (error) {
        stats.get(name)!.refused++;
        if (!(error instanceof CheckpointError)) problems.push(`#${i} ${b.name}/${name}: ${String(error)}`);
        else if (/internal error/.test(error.message) || error.message.length > 2000) problems.push(`#${i} ${b.name}/${name}: ${error.message.slice(0, 300)}`);
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      if (ms > MAX_CASE_MS) problems.push(`#${i} ${b.name}/${name}: took ${ms.toFixed(0)} ms`);
    }
    const total = performance.now() - started;
    console.log(
      `fuzz: ${CASES} cases in ${(total / 1000).toFixed(2)} s (slowest ${slowest.toFixed(0)} ms)\n` +
        [...stats].map(([n, s]) => `  ${n.padEnd(10)} ok ${s.ok}, refused ${s.refused}`).join('\n'),
    );
    expect(problems).toEqual([]);
    // Each kind of damage must actually be noticed sometimes, or the fuzzer is not testing anything.
    for (const [name, s] of stats) {
      if (s.ok + s.refused > 20) expect([name, s.refused]).not.toEqual([name, 0]);
    }
  });
});

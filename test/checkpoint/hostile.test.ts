import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckpointError } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import {
  adamWState,
  concat,
  pythonCall,
  safetensors,
  stateDict,
  storage,
  torchLegacy,
  torchZip,
  view,
  weightNormKeys,
  orderedDict,
  type SaveValue,
} from '../support/checkpoint-writers/writers.js';
import { zipStored } from '../support/checkpoint-writers/write-zip.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { GOLDEN_CASES, goldenBytes, tinyWeights } from './helpers.js';

const marker = path.join(tmpdir(), 'tts-critic-hostile-marker');
const gpt = weightNormKeys(tinyWeights('gpt-sovits'));

let dir: string;
beforeAll(() => {
  dir = tempDir('ckpt');
});
afterAll(() => removeDir(dir));
beforeEach(() => rmSync(marker, { force: true }));

async function failure(source: string | Uint8Array): Promise<Error> {
  const result = await loadCheckpoint(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(CheckpointError);
  const error = result as Error;
  expect(error.message).not.toMatch(/internal error/);
  return error;
}

function refusal(qualified: string): string {
  return `checkpoint refers to "${qualified}", which a state dict never needs; refusing to load it (nothing in the file was executed)`;
}

describe('foreign globals are refused and nothing runs', () => {
  const payload = (call: SaveValue) => new Map<string, SaveValue>([['weight', stateDict(gpt)], ['extra', call]]);

  test.each([
    ['os', 'system', [`touch ${marker}`]],
    ['builtins', 'eval', [`__import__('os').system('touch ${marker}')`]],
    ['subprocess', 'Popen', [['touch', marker]]],
  ] as [string, string, SaveValue[]][])('torch zip naming %s.%s via REDUCE', async (module, name, args) => {
    const error = await failure(torchZip(payload(pythonCall(module, name, args))));
    expect(error.message).toBe(refusal(`${module}.${name}`));
    expect(existsSync(marker)).toBe(false);
  });

  test('a foreign global nested deep inside optimizer state refuses the whole file', async () => {
    const optimizer = adamWState(gpt);
    const state = optimizer.get('state') as Map<number, Map<string, SaveValue>>;
    state.get(3)!.set('step', pythonCall('os', 'system', [`touch ${marker}`]));
    const file = torchZip(new Map<string, SaveValue>([['model', stateDict(gpt)], ['optimizer', optimizer], ['iteration', 1]]));
    const error = await failure(file);
    expect(error.message).toBe(refusal('os.system'));
    expect(existsSync(marker)).toBe(false);
  });

  test('legacy format: the object pickle names os.system', async () => {
    const error = await failure(torchLegacy(payload(pythonCall('os', 'system', [`touch ${marker}`]))));
    expect(error.message).toBe(refusal('os.system'));
    expect(existsSync(marker)).toBe(false);
  });

  test('posix.system as a dict value inside a state dict', async () => {
    const entries = new Map<string, SaveValue>([...(stateDict(gpt).entries as Map<string, SaveValue>)]);
    entries.set('discriminators.0.convs.0.bias', pythonCall('posix', 'system', ['true']));
    expect((await failure(torchZip(new Map([['weight', orderedDict(entries)]])))).message).toBe(refusal('posix.system'));
  });
});

describe('damaged files on disk end in a CheckpointError', () => {
  const good = torchZip(new Map([['weight', stateDict(gpt)]]));
  const write = (name: string, data: Uint8Array): string => {
    const file = path.join(dir, name);
    writeFileSync(file, data);
    return file;
  };

  test('zero-length file', async () => {
    expect((await failure(write('empty.pth', new Uint8Array(0)))).message).toBe('checkpoint file is empty (0 bytes)');
  });

  test('missing file and a directory', async () => {
    expect((await failure(path.join(dir, 'nope.pth'))).message).toMatch(/cannot open checkpoint ".*nope.pth": no such file/);
    expect((await failure(dir)).message).toMatch(/is a folder without "weights.pth" or "discriminator\/weights.pth"/);
  });

  test('text and random bytes', async () => {
    expect((await failure(write('text.pth', new TextEncoder().encode('<html>404 Not Found</html>')))).message).toMatch(/not a PyTorch .* or safetensors checkpoint: it starts with bytes 3c 68 74 6d/);
  });

  test.each([1, 10, 100, 1000, 0.5, 0.9, 0.999])('truncated to %s', async (cut) => {
    const length = cut < 1 ? Math.floor(good.length * cut) : cut;
    await failure(write(`cut-${cut}.pth`, good.subarray(0, length)));
  });

  test.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('golden %s truncated by one byte and by half', async (_, c) => {
    const data = goldenBytes(c);
    await failure(write(`${c.name}-1.bin`, data.subarray(0, data.length - 1)));
    await failure(write(`${c.name}-half.bin`, data.subarray(0, data.length >> 1)));
  });

  test('bit flips in data.pkl are caught (CRC-32) and in the central directory', async () => {
    const flipped = good.slice();
    flipped[200] ^= 0x10; // inside data.pkl
    expect((await failure(write('flip-pkl.pth', flipped))).message).toMatch(/"archive\/data.pkl" fails its CRC-32 check/);
    const dirFlip = good.slice();
    dirFlip[good.length - 22 + 16] ^= 0x01; // central directory offset in the end record
    await failure(write('flip-dir.pth', dirFlip));
  });

  test('a compressed (deflated) record is explained', async () => {
    const file = good.slice();
    const view = new DataView(file.buffer);
    const cdOffset = view.getUint32(file.length - 22 + 16, true);
    view.setUint16(cdOffset + 10, 8, true); // method 8 on the first entry (data.pkl)
    expect((await failure(file)).message).toMatch(/is compressed \(method 8\)/);
  });
});

describe('hostile sizes never allocate', () => {
  test('a view far larger than its storage', async () => {
    const small = storage(new Float32Array(16));
    const entries = new Map<string, SaveValue>([['discriminators.0.convs.0.weight', view(small, 0, [1 << 20, 1 << 20, 15])]]);
    const error = await failure(torchZip(new Map([['weight', orderedDict(entries)]])));
    expect(error.message).toMatch(/needs \d+ elements but its storage "0" holds 16/);
  });

  test('a stride-0 broadcast view of a single element', async () => {
    const one = storage(new Float32Array(1));
    const entries = new Map<string, SaveValue>([['x', view(one, 0, [1 << 25, 1 << 25], [0, 0])]]);
    expect((await failure(torchZip(orderedDict(entries)))).message).toMatch(/broadcast views are not supported/);
  });

  test('a storage record shorter than the storage it declares', async () => {
    const file = torchZip(new Map([['weight', stateDict(gpt)]]));
    // Rewrite the declared numel of storage "0" in data.pkl and fix the CRC through a fresh zip.
    const entries = zipEntries(file);
    const pkl = entries.get('archive/data.pkl')!;
    const text = Buffer.from(pkl);
    const at = text.indexOf(Buffer.from('cpu')) + 3; // BINUNICODE 'cpu' then the numel
    expect(text[at]).toBe(0x4b); // BININT1
    const patched = Buffer.concat([text.subarray(0, at), Buffer.from([0x4a, 0xff, 0xff, 0xff, 0x7f]), text.subarray(at + 2)]);
    entries.set('archive/data.pkl', patched);
    const rebuilt = concat(zipStored([...entries].map(([name, data]) => ({ name, data: [data] }))));
    expect((await failure(rebuilt)).message).toMatch(/storage "0" declares 2147483647 float32 values .* but its record has \d+ bytes/);
  });

  test('safetensors: huge header length, offsets that do not tile the data, unknown dtype', async () => {
    const good = safetensors(tinyWeights('gpt-sovits'));
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect((await failure(huge)).message).toMatch(/header of 1099511627776 bytes does not fit/);

    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n)));
    const rewrite = (mutate: (h: any) => void): Uint8Array => {
      const h = structuredClone(header);
      mutate(h);
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + good.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(good.subarray(8 + n), 8 + json.length);
      return out;
    };
    const first = Object.keys(header).find((k) => k !== '__metadata__')!;
    const shifted = rewrite((h) => (h[first].data_offsets = [4, h[first].data_offsets[1]]));
    expect((await failure(shifted)).message).toMatch(/shape .* but \d+ bytes of data/);
    expect((await failure(rewrite((h) => (h[first].dtype = 'F4')))).message).toMatch(/unknown dtype "F4"/);
    expect((await failure(rewrite((h) => delete h[first]))).message).toMatch(/a gap of \d+ bytes precedes/);
    expect((await failure(good.subarray(0, good.length - 4))).message).toMatch(/truncated: safetensors tensors need/);
    expect((await failure(concat([good, new Uint8Array(4)]))).message).toMatch(/4 bytes after the last tensor belong to none/);
  });

  test('zip directory claiming a million entries past the end of the file', async () => {
    const file = torchZip(new Map([['weight', stateDict(gpt)]]));
    const view = new DataView(file.buffer);
    view.setUint16(file.length - 22 + 10, 0xfffe, true);
    view.setUint32(file.length - 22 + 12, 0xfffffff0, true);
    expect((await failure(file)).message).toMatch(/central directory .* lies outside/);
  });

  test('a legacy storage count that disagrees with its declaration', async () => {
    const file = torchLegacy(new Map([['model_d', stateDict(weightNormKeys(tinyWeights('sovits5')))]]));
    // The first storage's int64 element count sits right after the fifth pickle (the key list).
    const damaged = file.slice();
    const keysEnd = findLegacyDataStart(damaged);
    new DataView(damaged.buffer).setBigInt64(keysEnd, 123456789n, true);
    expect((await failure(damaged)).message).toMatch(/storage "0" should hold \d+ values, the file says 123456789/);
  });
});

/** Names and contents of a stored zip's records (test-side reader, independent of src/). */
function zipEntries(file: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(file.buffer, file.byteOffset);
  const count = view.getUint16(file.length - 22 + 10, true);
  let at = view.getUint32(file.length - 22 + 16, true);
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(file.subarray(at + 46, at + 46 + nameLength));
    const local = view.getUint32(at + 42, true);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    out.set(name, file.subarray(start, start + size));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

/** Offset just past the fifth pickle (the storage key list) of a legacy file: its last STOP before data. */
function findLegacyDataStart(file: Uint8Array): number {
  // The key list pickle written by torchLegacy is PROTO 2, EMPTY_LIST, MARK, BINUNICODE keys..., APPENDS, STOP.
  const needle = Buffer.from([0x80, 0x02, 0x5d, 0x28]);
  const at = Buffer.from(file).indexOf(needle);
  const stop = Buffer.from(file).indexOf(Buffer.from([0x65, 0x2e]), at);
  return stop + 2;
}

describe('large files', () => {
  test('a file over 32 MB is hashed on a worker thread and the hash is the file\'s', async () => {
    const { createHash } = await import('node:crypto');
    const { writeFileSync: write } = await import('node:fs');
    const big = new Map([...tinyWeights('gpt-sovits'), ['generator.big', { shape: [9_000_000], data: new Float32Array(9_000_000).fill(0.25) }]]);
    const file = path.join(dir, 'big.safetensors');
    const data = safetensors(big);
    expect(data.length).toBeGreaterThan(32 * 1024 * 1024);
    write(file, data);
    const loaded = await loadCheckpoint(file);
    expect(loaded.info.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(loaded.info.bytes).toBe(data.length);
  });
});

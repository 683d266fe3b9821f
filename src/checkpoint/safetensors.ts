/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON describing every
 * tensor (`dtype`, `shape`, `data_offsets` relative to the data start), then the data. The
 * header is validated completely: known dtypes, integer shapes, sizes that match the offsets,
 * and ranges that tile the data region exactly (no gaps, no overlaps, nothing left over).
 */
import { CheckpointError } from '../errors.js';
import type { OpenedCheckpoint } from './container.js';
import { ELEMENT_SIZE, SAFETENSORS_DTYPES } from './dtypes.js';
import { LIMITS } from './limits.js';
import type { ByteSource } from './source.js';
import { makeTensorRef, StorageView, type RootStorage } from './tensor.js';
import { PyDict } from './values.js';

function bad(message: string): CheckpointError {
  return new CheckpointError(`safetensors header is invalid: ${message}`);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

interface Entry {
  readonly name: string;
  readonly dtype: RootStorage['dtype'];
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseEntry(name: string, raw: unknown): Entry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`"${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPES, dtype)) throw bad(`"${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.length > LIMITS.maxTensorRank || !shape.every(isCount)) throw bad(`"${name}" has an invalid shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`"${name}" has invalid data_offsets`);
  }
  const type = SAFETENSORS_DTYPES[dtype]!;
  const numel = shape.reduce((a: number, b: number) => a * b, 1);
  const [begin, end] = offsets as [number, number];
  if (!Number.isSafeInteger(numel) || numel * ELEMENT_SIZE[type] !== end - begin) {
    throw bad(`"${name}" has shape [${shape.join(', ')}] of ${dtype} but ${end - begin} bytes of data`);
  }
  return { name, dtype: type, shape, begin, end };
}

export async function readSafetensors(source: ByteSource): Promise<OpenedCheckpoint> {
  if (source.size < 8) throw new CheckpointError('checkpoint is truncated: too short for a safetensors header');
  const length = new DataView((await source.read(0, 8, 'the safetensors header length')).buffer).getBigUint64(0, true);
  if (length > BigInt(Math.min(LIMITS.maxSafetensorsHeader, source.size - 8))) {
    throw new CheckpointError(`checkpoint is truncated or damaged: safetensors header of ${length} bytes does not fit in the ${source.size}-byte file`);
  }
  const headerBytes = await source.read(8, Number(length), 'the safetensors header');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw bad('not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('not a JSON object');

  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      const ok = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.values(raw).every((v) => typeof v === 'string');
      if (!ok) throw bad('__metadata__ must map strings to strings');
      continue;
    }
    if (entries.length >= LIMITS.maxSafetensorsEntries) throw bad('too many tensors');
    entries.push(parseEntry(name, raw));
  }

  const dataStart = 8 + Number(length);
  const dataLength = source.size - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const entry of sorted) {
    if (entry.begin !== covered) {
      throw bad(entry.begin < covered ? `"${entry.name}" overlaps another tensor` : `a gap of ${entry.begin - covered} bytes precedes "${entry.name}"`);
    }
    covered = entry.end;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(
      covered > dataLength
        ? `checkpoint is truncated: safetensors tensors need ${covered} bytes of data, the file has ${dataLength}`
        : `safetensors header is invalid: ${dataLength - covered} bytes after the last tensor belong to none`,
    );
  }

  const root = new PyDict(false);
  for (const entry of entries) {
    const numel = entry.shape.reduce((a, b) => a * b, 1);
    const storage: RootStorage = { key: entry.name, dtype: entry.dtype, numel, littleEndian: true, locate: async () => dataStart + entry.begin };
    const stride = entry.shape.map((_, i) => entry.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    root.map.set(entry.name, makeTensorRef(new StorageView(storage, 0, numel), 0, entry.shape, stride));
  }
  return { format: 'safetensors', root };
}

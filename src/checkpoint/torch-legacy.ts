/**
 * PyTorch's legacy format (before 1.6, or `_use_new_zipfile_serialization=False`): five pickles
 * back to back (magic number, protocol 1001, sys_info, the object, the list of storage keys),
 * then for each listed key an int64 element count and the raw bytes. Storages are located by
 * walking those counts; storages nobody uses are stepped over, never read.
 */
import { CheckpointError } from '../errors.js';
import type { OpenedCheckpoint } from './container.js';
import { ELEMENT_SIZE } from './dtypes.js';
import { storageDtype } from './globals.js';
import { LIMITS } from './limits.js';
import { PickleTruncatedError, unpickle, type UnpickleResult } from './pickle.js';
import type { ByteSource } from './source.js';
import { StorageView, type RootStorage } from './tensor.js';
import { PyDict, PyTuple, typeName, type PyValue } from './values.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL = 1001;

class LegacyStorage implements RootStorage {
  offset: number | undefined;
  constructor(
    readonly key: string,
    readonly dtype: RootStorage['dtype'],
    readonly numel: number,
    readonly littleEndian: boolean,
  ) {}
  async locate(): Promise<number> {
    if (this.offset === undefined) throw new CheckpointError(`checkpoint is damaged: storage "${this.key}" has no data in the file`);
    return this.offset;
  }
}

function isCount(value: PyValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const noPersistent = (): PyValue => {
  throw new CheckpointError('legacy checkpoint header refers to a storage');
};

/**
 * Parses the leading pickles. Their total length is unknown until parsed, so parse from a
 * prefix of the file and grow it only when a pickle runs past the prefix.
 */
interface Header {
  readonly littleEndian: boolean;
  readonly root: PyValue;
  readonly keys: PyValue;
  readonly dataStart: number;
  readonly storages: ReadonlyMap<string, LegacyStorage>;
}

async function readHeader(source: ByteSource): Promise<Header> {
  let length = Math.min(source.size, 1 << 20);
  for (;;) {
    const bytes = await source.read(0, length, 'the legacy checkpoint header');
    try {
      return parseHeader(bytes);
    } catch (error) {
      const canGrow = length < source.size && length < LIMITS.maxPickleBytes;
      if (!(error instanceof PickleTruncatedError) || !canGrow) throw error;
      length = Math.min(source.size, LIMITS.maxPickleBytes, length * 4);
    }
  }
}

function parseHeader(bytes: Uint8Array): Header {
  const step = (start: number, what: string, persistentLoad: (pid: PyValue) => PyValue = noPersistent): UnpickleResult =>
    unpickle(bytes, start, { what, persistentLoad });
  const magic = step(0, 'the magic number');
  if (magic.value !== MAGIC) throw new CheckpointError('not a PyTorch legacy checkpoint: wrong magic number');
  const protocol = step(magic.end, 'the protocol version');
  if (protocol.value !== PROTOCOL) throw new CheckpointError(`unsupported legacy checkpoint protocol ${String(protocol.value)}`);
  const sysInfo = step(protocol.end, 'sys_info');
  const info = sysInfo.value;
  const endian = info instanceof PyDict ? info.map.get('little_endian') : undefined;
  const littleEndian = endian !== false;

  const roots = new Map<string, LegacyStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (pid instanceof PyTuple && pid.items[0] === 'module') {
      throw new CheckpointError('checkpoint pickles a whole nn.Module (its Python source), not a state dict; refusing to load it');
    }
    if (!(pid instanceof PyTuple) || pid.items.length !== 6 || pid.items[0] !== 'storage') {
      throw new CheckpointError(`legacy checkpoint has a persistent id that is not a storage reference (${typeName(pid)})`);
    }
    const [, cls, key, , numel, view] = pid.items;
    const dtype = storageDtype(cls!);
    if (!dtype) throw new CheckpointError(`legacy checkpoint names ${typeName(cls)} as a storage type`);
    if (typeof key !== 'string' || !isCount(numel)) throw new CheckpointError('legacy checkpoint has a malformed storage reference');
    let root = roots.get(key);
    if (!root) {
      root = new LegacyStorage(key, dtype, numel, littleEndian);
      roots.set(key, root);
    } else if (root.dtype !== dtype || root.numel !== numel) {
      throw new CheckpointError(`checkpoint is damaged: storage "${key}" is described two different ways`);
    }
    if (view === null) return new StorageView(root, 0, numel);
    // View metadata (view_key, offset, size): a slice of the root storage, in elements.
    const parts = view instanceof PyTuple ? view.items : [];
    const [, offset, size] = parts;
    if (parts.length !== 3 || !isCount(offset) || !isCount(size) || offset + size > numel) {
      throw new CheckpointError(`legacy checkpoint has invalid storage view metadata for "${key}"`);
    }
    return new StorageView(root, offset, size);
  };
  const object = step(sysInfo.end, 'the checkpoint object', persistentLoad);
  const keys = step(object.end, 'the storage key list');
  return { littleEndian, root: object.value, keys: keys.value, dataStart: keys.end, storages: roots };
}

export async function readTorchLegacy(source: ByteSource): Promise<OpenedCheckpoint> {
  const header = await readHeader(source);
  const { keys, storages } = header;
  if (!Array.isArray(keys) || keys.length > LIMITS.maxLegacyStorages) {
    throw new CheckpointError('legacy checkpoint is damaged: its storage key list is not a list of keys');
  }
  // Walk the storages in the listed order, reading only each 8-byte element count.
  let pos = header.dataStart;
  for (const key of keys) {
    const storage = typeof key === 'string' ? storages.get(key) : undefined;
    if (!storage) throw new CheckpointError(`legacy checkpoint is damaged: storage "${String(key)}" is listed but never used`);
    if (storage.offset !== undefined) throw new CheckpointError(`legacy checkpoint is damaged: storage "${key}" is listed twice`);
    const count = new DataView((await source.read(pos, 8, `the size of storage "${key}"`)).buffer).getBigInt64(0, header.littleEndian);
    if (count !== BigInt(storage.numel)) {
      throw new CheckpointError(`legacy checkpoint is damaged: storage "${key}" should hold ${storage.numel} values, the file says ${count}`);
    }
    const bytes = storage.numel * ELEMENT_SIZE[storage.dtype];
    if (pos + 8 + bytes > source.size) {
      throw new CheckpointError(
        `checkpoint is truncated: storage "${key}" needs bytes ${pos + 8}..${pos + 8 + bytes} but the file has ${source.size}`,
      );
    }
    storage.offset = pos + 8;
    pos += 8 + bytes;
  }
  return { format: 'torch-legacy', root: header.root };
}

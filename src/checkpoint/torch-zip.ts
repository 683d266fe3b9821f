/**
 * PyTorch's default format (torch >= 1.6): a zip of STORED records under one top-level folder
 * whose name varies (the file's base name, or `archive`), holding `data.pkl`, optionally
 * `byteorder`, and one `data/<key>` record per storage.
 */
import { CheckpointError } from '../errors.js';
import type { OpenedCheckpoint } from './container.js';
import { ELEMENT_SIZE } from './dtypes.js';
import { storageDtype } from './globals.js';
import { unpickle } from './pickle.js';
import type { ByteSource } from './source.js';
import { StorageView, type RootStorage } from './tensor.js';
import { PyTuple, typeName, type PyValue } from './values.js';
import { crc32, entryDataOffset, readZipDirectory, type ZipEntry } from './zip.js';

async function readRecord(source: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  return source.read(await entryDataOffset(source, entry), entry.size, `record "${entry.name}"`);
}

export async function readTorchZip(source: ByteSource): Promise<OpenedCheckpoint> {
  const entries = await readZipDirectory(source);
  const first = entries[0];
  const slash = first ? first.name.indexOf('/') : -1;
  if (!first || slash <= 0) throw new CheckpointError('zip archive is not a PyTorch checkpoint: its records are not under one folder');
  const prefix = first.name.slice(0, slash + 1);
  const records = new Map<string, ZipEntry>();
  for (const entry of entries) {
    if (!entry.name.startsWith(prefix)) continue;
    const name = entry.name.slice(prefix.length);
    if (records.has(name)) throw new CheckpointError(`checkpoint zip archive is damaged: record "${entry.name}" appears twice`);
    records.set(name, entry);
  }

  const pklEntry = records.get('data.pkl');
  if (!pklEntry) {
    if (records.has('constants.pkl') || [...records.keys()].some((n) => n.startsWith('code/'))) {
      throw new CheckpointError('this is a TorchScript archive (torch.jit.save), not a state dict saved with torch.save');
    }
    throw new CheckpointError(`zip archive is not a PyTorch checkpoint: no "${prefix}data.pkl" record`);
  }
  const pkl = await readRecord(source, pklEntry);
  // torch >= 2.5 may skip CRCs (crc32 field 0); when present, one catches a damaged pickle early.
  if (pklEntry.crc32 !== 0 && crc32(pkl) !== pklEntry.crc32) {
    throw new CheckpointError(`checkpoint is damaged: "${pklEntry.name}" fails its CRC-32 check`);
  }

  let littleEndian = true;
  const byteorderEntry = records.get('byteorder');
  if (byteorderEntry) {
    if (byteorderEntry.size > 16) throw new CheckpointError('checkpoint is damaged: "byteorder" record is too long');
    const order = new TextDecoder().decode(await readRecord(source, byteorderEntry)).trim();
    if (order !== 'little' && order !== 'big') throw new CheckpointError(`checkpoint has an unknown byteorder "${order}"`);
    littleEndian = order === 'little';
  }

  const roots = new Map<string, RootStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      throw new CheckpointError(`data.pkl has a persistent id that is not a storage reference (${typeName(pid)})`);
    }
    const [, cls, key, , numel] = pid.items;
    const dtype = storageDtype(cls!);
    if (!dtype) throw new CheckpointError(`data.pkl names ${typeName(cls)} as a storage type`);
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
      throw new CheckpointError('data.pkl has a malformed storage reference');
    }
    let root = roots.get(key);
    if (!root) {
      const record = records.get(`data/${key}`);
      if (!record) throw new CheckpointError(`checkpoint is damaged: storage record "${prefix}data/${key}" is missing`);
      const needed = numel * ELEMENT_SIZE[dtype];
      if (record.size < needed) {
        throw new CheckpointError(
          `checkpoint is damaged: storage "${key}" declares ${numel} ${dtype} values (${needed} bytes) but its record has ${record.size} bytes`,
        );
      }
      let located: Promise<number> | undefined;
      root = { key, dtype, numel, littleEndian, locate: () => (located ??= entryDataOffset(source, record)) };
      roots.set(key, root);
    } else if (root.dtype !== dtype || root.numel !== numel) {
      throw new CheckpointError(`checkpoint is damaged: storage "${key}" is described two different ways`);
    }
    return new StorageView(root, 0, root.numel);
  };

  const { value } = unpickle(pkl, 0, { what: 'data.pkl', persistentLoad });
  return { format: 'torch-zip', root: value };
}

/** Tells the container format from the first bytes and opens it with the right reader. */
import { CheckpointError } from '../errors.js';
import type { OpenedCheckpoint } from './container.js';
import { readSafetensors } from './safetensors.js';
import type { ByteSource } from './source.js';
import { readTorchLegacy } from './torch-legacy.js';
import { readTorchZip } from './torch-zip.js';

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

export async function openContainer(source: ByteSource): Promise<OpenedCheckpoint> {
  if (source.size === 0) throw new CheckpointError('checkpoint file is empty (0 bytes)');
  const head = await source.read(0, Math.min(16, source.size), 'the file header');
  // "PK\3\4": a zip's first local header (torch >= 1.6).
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return readTorchZip(source);
  // PROTO 2 then LONG1 of 10 bytes: the legacy format's magic number.
  if (head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a && head[3] === 0x0a) return readTorchLegacy(source);
  // safetensors: a little-endian u64 header length followed by the JSON header's "{".
  if (head.length >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return readSafetensors(source);
  if (head[0] === 0x80) {
    throw new CheckpointError('file is a plain Python pickle, not a checkpoint written by torch.save');
  }
  throw new CheckpointError(
    `not a PyTorch (.pth/.pt/.ckpt) or safetensors checkpoint: it starts with bytes ${hex(head.subarray(0, 8))}`,
  );
}

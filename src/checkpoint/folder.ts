/**
 * Checkpoints that are folders: audiotools (DAC) saves a model as `<run>/latest/<name>/weights.pth`
 * beside `optimizer.pth` and `scheduler.pth`, and users naturally pass `latest/` or
 * `latest/discriminator/`. A folder is resolved to the one weights file inside it; anything
 * else about it (no such file, several candidates) is a CheckpointError naming what was looked for.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointError } from '../errors.js';

/** Relative paths tried inside a folder, in order (the discriminator's own file first). */
const FOLDER_CANDIDATES = ['weights.pth', path.join('discriminator', 'weights.pth')] as const;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The file to read for `given`: itself unless it is a folder. */
export async function resolveCheckpointFile(given: string): Promise<string> {
  let info;
  try {
    info = await stat(given);
  } catch {
    return given; // FileSource.open words the error.
  }
  if (!info.isDirectory()) return given;
  for (const candidate of FOLDER_CANDIDATES) {
    const file = path.join(given, candidate);
    if (await isFile(file)) return file;
  }
  throw new CheckpointError(
    `checkpoint "${given}" is a folder without ${FOLDER_CANDIDATES.map((c) => `"${c}"`).join(' or ')} ` +
      '(DAC/audiotools folders hold latest/discriminator/weights.pth); give the checkpoint file itself',
  );
}

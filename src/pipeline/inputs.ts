/**
 * Where the pairs come from: two folders, a manifest (file or stdin), or one folder of
 * synthesized files alone. Exactly one source must be given.
 */
import { createReadStream } from 'node:fs';
import { UsageError } from '../errors.js';
import { discoverPairs, discoverSynOnly } from './discover.js';
import { readManifest } from './manifest.js';
import { PairList } from './pair-list.js';

export interface PairSources {
  readonly refDir?: string | undefined;
  readonly synDir?: string | undefined;
  /** Manifest path, or `-` for `stdin`. */
  readonly pairs?: string | undefined;
  /** Reference-free: the folder of synthesized files (ignored with a manifest, whose `syn` column lists them). */
  readonly synOnly?: string | undefined;
  readonly stdin?: NodeJS.ReadableStream;
}

/** The run's pairs, held compactly (see `PairList`): a manifest is read as it streams in. */
export async function collectPairs(sources: PairSources): Promise<PairList> {
  const { refDir, synDir } = sources;
  const synOnly = sources.synOnly !== undefined;
  if (sources.pairs !== undefined) {
    if (refDir || synDir) throw new UsageError('give either REF_DIR SYN_DIR or --pairs FILE, not both');
    const fromStdin = sources.pairs === '-';
    const source = fromStdin ? 'stdin' : sources.pairs;
    // Streamed: a million-pair manifest is held as its pairs, never as one text.
    const unreadable = (error: unknown) => new UsageError(`cannot read --pairs ${source} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    const input = fromStdin ? (sources.stdin ?? process.stdin) : createReadStream(sources.pairs, { highWaterMark: 64 << 10 });
    if (!fromStdin) {
      // Opening errors (a missing file, a folder) are named as such, before any parsing.
      await new Promise<void>((resolve, reject) => {
        (input as ReturnType<typeof createReadStream>).once('ready', () => resolve()).once('error', (error) => reject(unreadable(error)));
      });
    }
    const chunks = (async function* (): AsyncGenerator<Buffer | string> {
      try {
        for await (const chunk of input as AsyncIterable<Buffer | string>) yield chunk;
      } catch (error) {
        throw unreadable(error);
      }
    })();
    return readManifest(chunks, source, { synOnly });
  }
  if (synOnly) {
    if (refDir || synDir) throw new UsageError('--syn-only DIR takes the folder itself; drop REF_DIR SYN_DIR');
    return PairList.from(await discoverSynOnly(sources.synOnly!));
  }
  if (!refDir || !synDir) {
    throw new UsageError('missing folders: use `tts-critic score REF_DIR SYN_DIR` (or --pairs FILE, or --syn-only DIR); see --help');
  }
  return PairList.from(await discoverPairs(refDir, synDir));
}

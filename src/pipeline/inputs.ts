/**
 * Where the pairs come from: two folders, a manifest (file or stdin), or one folder of
 * synthesized files alone. Exactly one source must be given.
 */
import { promises as fs } from 'node:fs';
import { UsageError } from '../errors.js';
import { discoverPairs, discoverSynOnly, type PairSpec } from './discover.js';
import { parseManifest, readStream } from './manifest.js';

export interface PairSources {
  readonly refDir?: string | undefined;
  readonly synDir?: string | undefined;
  /** Manifest path, or `-` for `stdin`. */
  readonly pairs?: string | undefined;
  /** Reference-free: the folder of synthesized files (ignored with a manifest, whose `syn` column lists them). */
  readonly synOnly?: string | undefined;
  readonly stdin?: NodeJS.ReadableStream;
}

export async function collectPairs(sources: PairSources): Promise<PairSpec[]> {
  const { refDir, synDir } = sources;
  const synOnly = sources.synOnly !== undefined;
  if (sources.pairs !== undefined) {
    if (refDir || synDir) throw new UsageError('give either REF_DIR SYN_DIR or --pairs FILE, not both');
    const fromStdin = sources.pairs === '-';
    const source = fromStdin ? 'stdin' : sources.pairs;
    let content: string;
    try {
      content = fromStdin ? await readStream(sources.stdin ?? process.stdin) : await fs.readFile(sources.pairs, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --pairs ${source} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseManifest(content, source, { synOnly });
  }
  if (synOnly) {
    if (refDir || synDir) throw new UsageError('--syn-only DIR takes the folder itself; drop REF_DIR SYN_DIR');
    return discoverSynOnly(sources.synOnly!);
  }
  if (!refDir || !synDir) {
    throw new UsageError('missing folders: use `tts-critic score REF_DIR SYN_DIR` (or --pairs FILE, or --syn-only DIR); see --help');
  }
  return discoverPairs(refDir, synDir);
}

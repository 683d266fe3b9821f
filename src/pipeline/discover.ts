/**
 * Finding the work: walk the reference and synthesized folders recursively and pair files by
 * their relative path without extension (`a/b.wav` pairs with `a/b.wav`, `a/b.WAV` or
 * `a/b.flac`). Files without a partner are reported, never silently dropped.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Extensions treated as audio. The decoder is chosen from the content, not from these; the
 * formats that are not read (AAC, AIFF...) are listed so that their files get rows saying so
 * instead of being ignored.
 */
const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.flac', '.mp3', '.mp2', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.aif', '.aiff', '.wma', '.webm']);
const SEARCHED = '.wav, .flac, .mp3, .ogg, .opus';

export interface PairSpec {
  /** Pairing key: relative path without extension, `/`-separated. */
  readonly key: string;
  /** Reference path as the user will see it (null: no reference, e.g. unpaired or syn-only). */
  readonly ref: string | null;
  /** Synthesized path (null: an unpaired reference). */
  readonly syn: string | null;
  /** Set when the pair cannot be scored for a reason known before decoding. */
  readonly problem?: string;
  /**
   * The paths to open, as bytes, when they are not valid UTF-8 (`ref` and `syn` then show them
   * with the invalid bytes escaped as `\xNN`, which names no file).
   */
  readonly refBytes?: Buffer;
  readonly synBytes?: Buffer;
}

interface FoundFile {
  readonly key: string;
  readonly path: string;
  /** The path as bytes, only when it is not valid UTF-8. */
  readonly bytes?: Buffer;
}

/**
 * A file name as text: valid UTF-8 as it is, each byte of anything else as `\xNN`. Linux names
 * are bytes; a name decoded lossily (U+FFFD) would name no file at all.
 */
export function displayName(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    const c = name[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n > 0 && i + n <= name.length) {
      const bytes = name.subarray(i, i + n);
      const text = bytes.toString('utf8');
      // Overlong forms, surrogates and bad continuation bytes decode to U+FFFD, which re-encodes differently.
      if (Buffer.from(text, 'utf8').equals(bytes)) {
        out += text;
        i += n;
        continue;
      }
    }
    out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
  }
  return out;
}

function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.has(path.extname(name).toLowerCase());
}

function keyOf(relativePath: string): string {
  const parsed = path.parse(relativePath);
  return path.join(parsed.dir, parsed.name).split(path.sep).join('/');
}

async function requireDirectory(dir: string, role: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${role} folder not found: ${dir}`);
    throw new UsageError(`cannot read ${role} folder ${dir} (${code ?? 'error'})`);
  }
  if (!stat.isDirectory()) throw new UsageError(`${role} path is not a folder: ${dir}`);
}

/**
 * Lists audio files under `root`, following symbolic links to folders once (a link loop is
 * visited a single time). A link that cannot be resolved is still listed when its name looks
 * like audio, so that its row explains the problem; so is a folder named like audio that
 * holds no audio.
 */
export async function listAudioFiles(root: string, role = 'audio'): Promise<FoundFile[]> {
  await requireDirectory(root, role);
  const found: FoundFile[] = [];
  const visited = new Set<string>();

  // Names are read as bytes: a name that is not valid UTF-8 is opened by its bytes (`raw`) and
  // shown escaped (`dir`, `relative`). `raw` is null while the path so far is valid UTF-8.
  async function walk(dir: string, relative: string, raw: Buffer | null): Promise<void> {
    let real: string;
    try {
      real = (await fs.realpath(raw ?? dir, { encoding: 'buffer' })).toString('latin1');
    } catch {
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries;
    try {
      entries = await fs.readdir(raw ?? dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (relative === '') throw new UsageError(`cannot list ${role} folder ${root} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return; // an unreadable sub-folder holds nothing we can score
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      const name = displayName(entry.name);
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      const rel = relative ? path.join(relative, name) : name;
      const bytes = raw || name !== entry.name.toString('utf8') ? Buffer.concat([raw ?? Buffer.from(dir), Buffer.from(path.sep), entry.name]) : null;
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDir = (await fs.stat(bytes ?? full)).isDirectory();
        } catch {
          isDir = false; // dangling or looping link: keep it as a file so its row says why
        }
      }
      const file: FoundFile = bytes ? { key: keyOf(rel), path: full, bytes } : { key: keyOf(rel), path: full };
      if (isDir) {
        const before = found.length;
        await walk(full, rel, bytes);
        // A folder named like audio (`x.wav/`) with no audio inside is most likely a file
        // made wrongly: list it, so that its row says "is a directory" instead of leaving
        // its partner unpaired with no explanation.
        if (found.length === before && isAudioName(name)) found.push(file);
      } else if (isAudioName(name)) found.push(file);
    }
  }

  await walk(root, '', null);
  return found;
}

function groupByKey(files: readonly FoundFile[]): Map<string, FoundFile[]> {
  const groups = new Map<string, FoundFile[]>();
  for (const f of files) {
    const list = groups.get(f.key);
    if (list) list.push(f);
    else groups.set(f.key, [f]);
  }
  return groups;
}

function ambiguity(key: string, files: readonly FoundFile[]): string {
  return `several files share the name "${key}": ${files.map((f) => f.path).join(', ')}; keep one`;
}

/**
 * The entries for one name. Two files of one side with the same name (`a.wav` and `a.flac`)
 * cannot be paired by guessing: each file gets an error entry of its own (the sides zipped),
 * naming all of them.
 */
function entriesFor(key: string, refs: readonly FoundFile[], syns: readonly FoundFile[]): PairSpec[] {
  const entry = (ref: FoundFile | undefined, syn: FoundFile | undefined): PairSpec => ({
    key,
    ref: ref?.path ?? null,
    syn: syn?.path ?? null,
    ...(ref?.bytes ? { refBytes: ref.bytes } : {}),
    ...(syn?.bytes ? { synBytes: syn.bytes } : {}),
  });
  if (refs.length <= 1 && syns.length <= 1) return [entry(refs[0], syns[0])];
  const problem = ambiguity(key, [...(refs.length > 1 ? refs : []), ...(syns.length > 1 ? syns : [])]);
  return Array.from({ length: Math.max(refs.length, syns.length) }, (_, i) => ({ ...entry(refs[i], syns[i]), problem }));
}

function compareKeys(a: PairSpec, b: PairSpec): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Pairs two folders. The result is sorted by key; every file appears in exactly one entry. */
export async function discoverPairs(refDir: string, synDir: string): Promise<PairSpec[]> {
  const [refFiles, synFiles] = await Promise.all([listAudioFiles(refDir, 'reference'), listAudioFiles(synDir, 'synthesized')]);
  if (refFiles.length === 0) throw new UsageError(`no audio files (${SEARCHED}) found in reference folder ${refDir}`);
  if (synFiles.length === 0) throw new UsageError(`no audio files (${SEARCHED}) found in synthesized folder ${synDir}`);
  const refs = groupByKey(refFiles);
  const syns = groupByKey(synFiles);
  const pairs: PairSpec[] = [];
  for (const key of new Set([...refs.keys(), ...syns.keys()])) pairs.push(...entriesFor(key, refs.get(key) ?? [], syns.get(key) ?? []));
  return pairs.sort(compareKeys);
}

/** Reference-free mode: every audio file of `synDir` on its own. */
export async function discoverSynOnly(synDir: string): Promise<PairSpec[]> {
  const files = await listAudioFiles(synDir, 'synthesized');
  if (files.length === 0) throw new UsageError(`no audio files (${SEARCHED}) found in ${synDir}`);
  const pairs: PairSpec[] = [];
  for (const [key, group] of groupByKey(files)) pairs.push(...entriesFor(key, [], group));
  return pairs.sort(compareKeys);
}

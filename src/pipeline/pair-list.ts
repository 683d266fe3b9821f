/**
 * The pairs of a run, held compactly: a million pairs as a few bytes of path text each in
 * 1 MiB blocks, instead of a million objects and two or three million strings in the
 * JavaScript heap (155 bytes a pair, which V8 then scales its heap from). Pairs are made as
 * objects only when asked for (`at`, iteration), one at a time: the scorer reads them in order.
 *
 * Each path is stored as Latin-1 when every character fits a byte (paths usually are ASCII),
 * else as UTF-16: both are exact for any JavaScript string, lone surrogates included, which
 * UTF-8 would not be. The rare extras (a known problem, the raw bytes of a non-UTF-8 name) are
 * kept as they are, per pair, in a sparse map.
 *
 * A ref path is stored without the end it shares with its syn path: pairs found in two folders
 * are `refs/<name>` and `outputs/<name>` (discovery pairs by relative path), so most of a ref's
 * characters are its syn's. A million such pairs hold about 25 MB less.
 */
import { doubled } from '../util/typed-arrays.js';
import type { PairSpec } from './discover.js';

/** Length codes: -1 is a null path; `WIDE` marks UTF-16 text (its byte length is the rest). */
const NULL = -1;
const WIDE = 0x40000000;
/** A key equal to the syn path (the usual case) is not stored twice. */
const SAME_AS_SYN = -2;

type Extras = Pick<PairSpec, 'problem' | 'refBytes' | 'synBytes'>;

function fitsLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Text is kept in blocks of this size: the list grows by a block, never by copying what it holds. */
const BLOCK = 1 << 20;
/** A pair's place: its block times this, plus its offset in the block. */
const BLOCK_STRIDE = 2 ** 32;
/** Numbers per pair in `lengths`. */
const STRIDE = 4;

/** How many code units `a` and `b` end with in common (cut anywhere: the parts are only ever joined again). */
function sharedEnd(a: string | null, b: string | null): number {
  if (a === null || b === null) return 0;
  const most = Math.min(a.length, b.length);
  let n = 0;
  while (n < most && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}

export class PairList implements Iterable<PairSpec> {
  private readonly blocks: Buffer[] = [];
  /** Bytes used in the last block. */
  private used = BLOCK;
  /** Bytes used in all blocks. */
  private bytes = 0;
  /** Per pair: where its text starts (block * BLOCK_STRIDE + offset). */
  private starts = new Float64Array(1024);
  /**
   * Per pair (STRIDE numbers): the length codes of the ref's own part, the syn and the key, and
   * how many code units the ref ends with that are the syn's last ones (not stored again).
   */
  private lengths = new Int32Array(STRIDE * 1024);
  private count = 0;
  private readonly extras = new Map<number, Extras>();

  static from(pairs: Iterable<PairSpec>): PairList {
    const list = new PairList();
    for (const pair of pairs) list.push(pair);
    return list;
  }

  get length(): number {
    return this.count;
  }

  /** Bytes of path text held (the blocks' used part). */
  get textBytes(): number {
    return this.bytes;
  }

  push(pair: PairSpec): void {
    if (this.count === this.starts.length) {
      this.starts = doubled(this.starts);
      this.lengths = doubled(this.lengths);
    }
    const key = pair.key === pair.syn ? null : pair.key;
    const shared = sharedEnd(pair.ref, pair.syn);
    const ref = pair.ref === null ? null : pair.ref.slice(0, pair.ref.length - shared);
    const sizes = [ref, pair.syn, key].map((text) => (text === null ? 0 : fitsLatin1(text) ? text.length : 2 * text.length));
    const size = sizes[0]! + sizes[1]! + sizes[2]!;
    if (size >= WIDE) throw new RangeError('a path of more than a billion characters');
    // A pair's paths stay together in one block; a pair larger than a block gets its own.
    if (this.used + size > BLOCK || this.blocks.length === 0) {
      this.blocks.push(Buffer.allocUnsafe(Math.max(BLOCK, size)));
      this.used = 0;
    }
    const i = this.count++;
    this.starts[i] = (this.blocks.length - 1) * BLOCK_STRIDE + this.used;
    this.lengths[STRIDE * i] = this.store(ref);
    this.lengths[STRIDE * i + 1] = this.store(pair.syn);
    this.lengths[STRIDE * i + 2] = key === null ? SAME_AS_SYN : this.store(key);
    this.lengths[STRIDE * i + 3] = shared;
    if (pair.problem !== undefined || pair.refBytes !== undefined || pair.synBytes !== undefined) {
      this.extras.set(i, {
        ...(pair.problem !== undefined ? { problem: pair.problem } : {}),
        ...(pair.refBytes !== undefined ? { refBytes: pair.refBytes } : {}),
        ...(pair.synBytes !== undefined ? { synBytes: pair.synBytes } : {}),
      });
    }
  }

  /** Appends one path's text to the last block (which has room: see `push`); returns its length code. */
  private store(text: string | null): number {
    if (text === null) return NULL;
    const latin1 = fitsLatin1(text);
    const size = latin1 ? text.length : 2 * text.length;
    this.blocks[this.blocks.length - 1]!.write(text, this.used, size, latin1 ? 'latin1' : 'utf16le');
    this.used += size;
    this.bytes += size;
    return latin1 ? size : size | WIDE;
  }

  /** The path at `place` (block and offset) with length code `code`. */
  private text(place: number, code: number): string | null {
    if (code === NULL) return null;
    const size = code & ~WIDE;
    const block = this.blocks[Math.floor(place / BLOCK_STRIDE)]!;
    const offset = place % BLOCK_STRIDE;
    return block.toString(code & WIDE ? 'utf16le' : 'latin1', offset, offset + size);
  }

  private static size(code: number): number {
    return code < 0 ? 0 : code & ~WIDE;
  }

  /** Pair `i` as an object. */
  at(i: number): PairSpec {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`no pair ${i} of ${this.count}`);
    const start = this.starts[i]!;
    const at = STRIDE * i;
    const [refCode, synCode, keyCode, shared] = [this.lengths[at]!, this.lengths[at + 1]!, this.lengths[at + 2]!, this.lengths[at + 3]!];
    const synStart = start + PairList.size(refCode);
    const syn = this.text(synStart, synCode);
    const own = this.text(start, refCode);
    const ref = own === null || shared === 0 ? own : own + syn!.slice(syn!.length - shared);
    const key = keyCode === SAME_AS_SYN ? syn! : this.text(synStart + PairList.size(synCode), keyCode)!;
    return { key, ref, syn, ...this.extras.get(i) };
  }

  /** Pair `i`'s key. */
  key(i: number): string {
    const keyCode = this.lengths[STRIDE * i + 2]!;
    const refCode = this.lengths[STRIDE * i]!;
    const synStart = this.starts[i]! + PairList.size(refCode);
    const synCode = this.lengths[STRIDE * i + 1]!;
    return keyCode === SAME_AS_SYN ? this.text(synStart, synCode)! : this.text(synStart + PairList.size(synCode), keyCode)!;
  }

  /** The key a pair's record will have (`pairIdentity`): its syn path, else its ref path, else its key. */
  identity(i: number): string {
    const start = this.starts[i]!;
    const refCode = this.lengths[STRIDE * i]!;
    const synCode = this.lengths[STRIDE * i + 1]!;
    if (synCode !== NULL) return this.text(start + PairList.size(refCode), synCode)!;
    // No syn, so nothing of the ref was shared with one.
    if (refCode !== NULL) return this.text(start, refCode)!;
    return this.key(i);
  }

  /** A new list of the pairs for which `keep` is true, in order. */
  filter(keep: (pair: PairSpec, i: number) => boolean): PairList {
    const kept = new PairList();
    for (let i = 0; i < this.count; i++) {
      const pair = this.at(i);
      if (keep(pair, i)) kept.push(pair);
    }
    return kept;
  }

  *[Symbol.iterator](): Iterator<PairSpec> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }
}

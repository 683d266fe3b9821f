/**
 * The file keys of a baseline index and their ref paths, held compactly: the characters in one
 * buffer (a `PairList`), found by a `KeyIndex`, about 90 bytes a file off the JavaScript heap
 * where a Map of the keys and an array of the refs cost some 150 bytes of live heap (which V8
 * then scales its heap from). Map-like for the comparison: a key's entry number, deleted once
 * matched, the keys left at the end.
 */
import { PairList } from '../pipeline/pair-list.js';
import { KeyIndex } from '../util/key-index.js';
import { doubled } from '../util/typed-arrays.js';

export class BaselineEntries implements Iterable<[string, number]> {
  private readonly texts = new PairList();
  private readonly index = new KeyIndex((i) => this.texts.key(i));
  /** 1 for a live entry: not replaced by a later row with its key, not deleted. */
  private live = new Uint8Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the file `key` with its `ref` path; returns its entry number and the one it replaces (or -1). */
  add(key: string, ref: string): { entry: number; replaced: number } {
    const entry = this.texts.length;
    this.texts.push({ key, ref, syn: key });
    if (entry === this.live.length) this.live = doubled(this.live);
    const replaced = this.index.put(entry);
    this.live[entry] = 1;
    if (replaced >= 0 && this.live[replaced]) this.live[replaced] = 0;
    else this.count++;
    return { entry, replaced };
  }

  /** The live entry of `key`. */
  get(key: string): number | undefined {
    const entry = this.index.get(key);
    return entry >= 0 && this.live[entry] ? entry : undefined;
  }

  /** Drops the entry of `key` (a matched file). */
  delete(key: string): boolean {
    const entry = this.get(key);
    if (entry === undefined) return false;
    this.live[entry] = 0;
    this.count--;
    return true;
  }

  /** Entry numbers given so far (live or not): every entry is below this. */
  get capacity(): number {
    return this.texts.length;
  }

  key(entry: number): string {
    return this.texts.key(entry);
  }

  ref(entry: number): string {
    return this.texts.at(entry).ref ?? '';
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this) yield key;
  }

  /** The live entries as [key, entry], in the order they were added. */
  *[Symbol.iterator](): Iterator<[string, number]> {
    for (let entry = 0; entry < this.texts.length; entry++) if (this.live[entry]) yield [this.texts.key(entry), entry];
  }
}

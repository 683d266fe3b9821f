/**
 * A set of strings that are already held elsewhere (the keys of a million pairs), looked up by
 * value: an open-addressing hash table of item numbers in one Int32Array, 8 bytes an item,
 * where a Map or Set of the same strings costs 30-40 bytes an item in the JavaScript heap (and
 * V8 sizes the heap in proportion to what is live). `keyOf(i)` gives item i's string; the
 * table never copies it.
 */

import { fnv1a } from './fnv1a.js';

export class KeyIndex {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    private readonly keyOf: (item: number) => string,
    expected = 0,
  ) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf(key: string): number {
    for (let slot = fnv1a(key) & this.mask; ; slot = (slot + 1) & this.mask) {
      const item = this.slots[slot]!;
      if (item < 0 || this.keyOf(item) === key) return slot;
    }
  }

  /** The item whose key is `key`, or -1. */
  get(key: string): number {
    return this.slots[this.slotOf(key)]!;
  }

  /** Adds item `item` under its key unless an item with that key is there; returns the item that holds the key. */
  add(item: number): number {
    const held = this.insert(item, false);
    return held < 0 ? item : held;
  }

  /** Adds `item` under its key, in place of the item that held the key before (returned, or -1). */
  put(item: number): number {
    return this.insert(item, true);
  }

  /** Puts `item` in its key's slot when it is empty (or always, with `replace`); returns what the slot held before (-1: empty). */
  private insert(item: number, replace: boolean): number {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const slot = this.slotOf(this.keyOf(item));
    const held = this.slots[slot]!;
    if (held < 0) this.count++;
    if (held < 0 || replace) this.slots[slot] = item;
    return held;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    this.mask = this.slots.length - 1;
    this.count = 0;
    for (const item of old) if (item >= 0) this.add(item);
  }
}

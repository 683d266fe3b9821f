/**
 * The compact containers that keep `score`, `merge` and `report` memory independent of row
 * objects: a growable column of float64 values (a metric over every file costs 8 bytes a file),
 * float64 values in fixed blocks, repeated short texts as bytes, a bounded heap for "the worst
 * N" lists, and a streaming mean that gives the same bits as `mean()` over the same values in
 * the same order.
 */
import { doubled } from '../util/typed-arrays.js';

/** A growable Float64Array: `push` amortized O(1), `values` a view of what was pushed. */
export class FloatColumn {
  private data = new Float64Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) this.data = doubled(this.data);
    this.data[this.size++] = value;
  }

  /** The values pushed so far (a view: sorting it sorts the column). */
  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }
}

/**
 * Float64 values read by index, kept in fixed 64 KiB blocks: it grows without copying, so there
 * is never a moment with both a full array and its doubled copy (48 MB for the 3M values of a
 * million-file baseline), nor up to half a doubled array unused.
 */
export class FloatBlocks {
  private static readonly SHIFT = 13;
  private static readonly BLOCK = 1 << FloatBlocks.SHIFT;
  private readonly blocks: Float64Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    const at = this.size & (FloatBlocks.BLOCK - 1);
    if (at === 0) this.blocks.push(new Float64Array(FloatBlocks.BLOCK));
    this.blocks[this.blocks.length - 1]![at] = value;
    this.size++;
  }

  get(index: number): number {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`no value ${index} of ${this.size}`);
    return this.blocks[index >>> FloatBlocks.SHIFT]![index & (FloatBlocks.BLOCK - 1)]!;
  }
}

/**
 * Short texts that repeat (a row's status) as one byte each: the first 255 distinct ones get a
 * code; any beyond (a hand-made report) are kept as they are, by index.
 */
export class CodedTexts {
  private codes = new Uint8Array(1024);
  private size = 0;
  private readonly table: string[] = [];
  private readonly lookup = new Map<string, number>();
  private readonly rare = new Map<number, string>();

  get length(): number {
    return this.size;
  }

  push(text: string): void {
    if (this.size === this.codes.length) this.codes = doubled(this.codes);
    let code = this.lookup.get(text);
    if (code === undefined && this.table.length < 255) {
      code = this.table.length;
      this.table.push(text);
      this.lookup.set(text, code);
    }
    if (code === undefined) this.rare.set(this.size, text);
    this.codes[this.size++] = code ?? 255;
  }

  get(index: number): string {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`no text ${index} of ${this.size}`);
    const code = this.codes[index]!;
    return code === 255 ? this.rare.get(index)! : this.table[code]!;
  }
}

/**
 * Keeps the first `capacity` items in the order `compare` gives (negative: `a` comes before
 * `b`), out of any number offered. The root is the last of the kept items, so an offer that
 * does not beat it costs one comparison.
 */
export class BoundedHeap<T> {
  private readonly items: T[] = [];

  constructor(
    readonly capacity: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** True when `item` was kept (it may be pushed out again by a later offer). */
  offer(item: T): boolean {
    if (this.capacity <= 0) return false;
    const items = this.items;
    if (items.length < this.capacity) {
      items.push(item);
      this.up(items.length - 1);
      return true;
    }
    if (this.compare(item, items[0]!) >= 0) return false;
    items[0] = item;
    this.down(0);
    return true;
  }

  /** Would `item` be kept now? */
  accepts(item: T): boolean {
    return this.capacity > 0 && (this.items.length < this.capacity || this.compare(item, this.items[0]!) < 0);
  }

  /** The kept items, first first. */
  sorted(): T[] {
    return [...this.items].sort(this.compare);
  }

  /** The kept items in no particular order. */
  unordered(): readonly T[] {
    return this.items;
  }

  // A max-heap by `compare`: a parent comes after (or ties with) its children.
  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) <= 0) return;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let last = i;
      if (left < items.length && this.compare(items[left]!, items[last]!) > 0) last = left;
      if (right < items.length && this.compare(items[right]!, items[last]!) > 0) last = right;
      if (last === i) return;
      [items[i], items[last]] = [items[last]!, items[i]!];
      i = last;
    }
  }
}

/** `mean()` of stats.ts as a running sum (Neumaier): the same result for the same values in the same order. */
export class RunningMean {
  private sum = 0;
  private compensation = 0;
  count = 0;

  add(value: number): void {
    const t = this.sum + value;
    this.compensation += Math.abs(this.sum) >= Math.abs(value) ? this.sum - t + value : value - t + this.sum;
    this.sum = t;
    this.count++;
  }

  value(): number | null {
    return this.count === 0 ? null : (this.sum + this.compensation) / this.count;
  }
}

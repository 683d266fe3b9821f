/**
 * What the comparison keeps of the rows of this run that no baseline key matched, until they are
 * matched by ref path at the end: key and ref path in a `BaselineEntries`, the status as a byte,
 * the checked metrics in float blocks. When the synthesized folder was renamed, every row of a
 * million-file run is one of these: a row object each would cost some 500 bytes of heap.
 */
import { CodedTexts, FloatBlocks } from '../report/compact.js';
import { KeyIndex } from '../util/key-index.js';
import { BaselineEntries } from './baseline-entries.js';

export class UnmatchedRows {
  readonly entries = new BaselineEntries();
  private readonly statuses = new CodedTexts();
  private readonly values = new FloatBlocks();

  /** `width`: the checked metrics each row keeps. */
  constructor(private readonly width: number) {}

  add(key: string, ref: string, status: string, values: readonly (number | null)[]): void {
    this.entries.add(key, ref);
    this.statuses.push(status);
    for (let m = 0; m < this.width; m++) this.values.push(values[m] ?? NaN);
  }

  status(entry: number): string {
    return this.statuses.get(entry);
  }

  /** Checked metric `m` of `entry`, null when it had none. */
  value(entry: number, m: number): number | null {
    const value = this.values.get(entry * this.width + m);
    return Number.isNaN(value) ? null : value;
  }
}

/**
 * The entries of one side by ref path, for matching by ref: which entry is the only one with a
 * given ref path. A `KeyIndex` over the entries' refs, 8 bytes an entry, where a Map from ref
 * to its keys cost a few hundred bytes a file at the end of a big comparison.
 */
export class UniqueRefs {
  private readonly index: KeyIndex;
  /** Entries (the first with their ref) whose ref path another entry shares. */
  private readonly shared: Uint8Array;

  /** Empty: `add` each entry of `entries` that is to be matched. */
  constructor(private readonly entries: BaselineEntries) {
    this.index = new KeyIndex((entry) => entries.ref(entry), entries.size);
    this.shared = new Uint8Array(entries.capacity);
  }

  add(entry: number): void {
    if (this.entries.ref(entry) === '') return;
    const holder = this.index.add(entry);
    if (holder !== entry) this.shared[holder] = 1;
  }

  /** The one entry whose ref path is `ref`, or -1 when there is none or more than one. */
  only(ref: string): number {
    if (ref === '') return -1;
    const entry = this.index.get(ref);
    return entry >= 0 && !this.shared[entry] ? entry : -1;
  }
}

/**
 * The rows an HTML page embeds. Up to `limit` rows (default 20,000) the page lists every file,
 * as before. Beyond that it lists a bounded selection, so the page of a million files still
 * loads in a browser in seconds: the worst files by each main metric, the first files not
 * scored, and a deterministic sample of the rest (the files whose key hashes lowest, the same
 * files on every run of the same inputs). Statistics and plots still cover every row (the
 * digest, see views.ts); the page says "showing K of N files".
 *
 * Rows are kept slim: only the columns the page's table shows (no per-sub or per-layer values).
 */
import { compareKeys, layerColumnMatcher, mainMetrics, metricDirection, numberCell, rowKey, subColumns, type CellValue, type Row } from './columns.js';
import { BoundedHeap } from './compact.js';
import { fnv1a } from '../util/fnv1a.js';
import type { FileChange } from './verdicts.js';

export const DEFAULT_HTML_ROWS = 20_000;

interface Entry {
  readonly seq: number;
  readonly key: string;
  readonly hash: number;
  readonly row: Row;
  readonly changes: readonly FileChange[];
}

interface Ranked {
  readonly entry: Entry | null;
  readonly seq: number;
  readonly key: string;
  readonly value: number;
}

export class RowSample {
  private total = 0;
  /** Every row while there are at most `limit`. */
  private all: Entry[] | null = [];
  private readonly keep: readonly string[];
  private readonly worst: { metric: string; heap: BoundedHeap<Ranked> }[];
  private readonly failed: BoundedHeap<Ranked>;
  private readonly sample: BoundedHeap<Ranked>;

  constructor(
    columns: readonly string[],
    subs: readonly string[],
    readonly limit: number = DEFAULT_HTML_ROWS,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`the HTML row limit must be a positive integer, got ${limit}`);
    const perSub = new Set(subs.flatMap(subColumns));
    const isLayer = layerColumnMatcher(subs);
    this.keep = columns.filter((column) => !perSub.has(column) && isLayer(column) === null);
    const metrics = mainMetrics(columns);
    // A quarter of the page for the worst files (split over the metrics), an eighth for files
    // not scored; the sample fills the rest (it keeps `limit` candidates, since the other lists
    // may overlap it or each other).
    const perMetric = Math.floor(limit / 4 / Math.max(1, metrics.length));
    this.worst = metrics.map((metric) => {
      const sign = metricDirection(metric) === 'higher-is-better' ? -1 : 1;
      return { metric, heap: new BoundedHeap<Ranked>(perMetric, (a, b) => sign * (b.value - a.value) || compareKeys(a.key, b.key) || a.seq - b.seq) };
    });
    const failedCount = Math.floor(limit / 8);
    this.failed = new BoundedHeap<Ranked>(failedCount, (a, b) => a.seq - b.seq);
    this.sample = new BoundedHeap<Ranked>(limit, (a, b) => a.value - b.value || compareKeys(a.key, b.key) || a.seq - b.seq);
  }

  private slim(row: Row): Row {
    const out: Record<string, CellValue> = {};
    for (const column of this.keep) if (column in row) out[column] = row[column]!;
    return out;
  }

  add(row: Row, changes: readonly FileChange[] = []): void {
    const seq = this.total++;
    const key = rowKey(row);
    const hash = fnv1a(key);
    let entry: Entry | null = null;
    const make = (): Entry => (entry ??= { seq, key, hash, row: this.slim(row), changes });
    if (this.all) {
      this.all.push(make());
      if (this.all.length > this.limit) {
        // Too many to list: from now on only the selection is kept.
        const all = this.all;
        this.all = null;
        for (const kept of all) this.offer(kept.row, kept.seq, kept.key, kept.hash, () => kept);
      }
      return;
    }
    this.offer(row, seq, key, hash, make);
  }

  private offer(row: Row, seq: number, key: string, hash: number, make: () => Entry): void {
    if (row['status'] !== 'ok') {
      if (this.failed.accepts({ entry: null, seq, key, value: 0 })) this.failed.offer({ entry: make(), seq, key, value: 0 });
      return;
    }
    for (const { metric, heap } of this.worst) {
      const value = numberCell(row, metric);
      if (value === null) continue;
      if (heap.accepts({ entry: null, seq, key, value })) heap.offer({ entry: make(), seq, key, value });
    }
    if (this.sample.accepts({ entry: null, seq, key, value: hash })) this.sample.offer({ entry: make(), seq, key, value: hash });
  }

  /** Rows seen. */
  get files(): number {
    return this.total;
  }

  /** The selected rows in the order they came, and the baseline changes of those rows. */
  result(): { rows: Row[]; changes: FileChange[] } {
    const entries = this.selected();
    return { rows: entries.map((e) => e.row), changes: entries.flatMap((e) => e.changes) };
  }

  /** The keys of the selected rows (once every row was added). */
  keys(): Set<string> {
    return new Set(this.selected().map((e) => e.key));
  }

  private selected(): Entry[] {
    let entries: Entry[];
    if (this.all) entries = this.all;
    else {
      const chosen = new Map<number, Entry>();
      for (const heap of [...this.worst.map((w) => w.heap), this.failed]) {
        for (const ranked of heap.unordered()) chosen.set(ranked.seq, ranked.entry!);
      }
      for (const ranked of this.sample.sorted()) {
        if (chosen.size >= this.limit) break;
        chosen.set(ranked.seq, ranked.entry!);
      }
      entries = [...chosen.values()].sort((a, b) => a.seq - b.seq);
    }
    return entries;
  }
}

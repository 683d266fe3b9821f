/**
 * Groups windows of equal length into engine calls. A queue per window length fills up to the
 * batch size or the call's sample budget, across files: in a corpus of mixed durations the
 * full-length windows of every file share calls, while the windows of files shorter than the
 * window length (one window each, of its own length) wait in their own queues for company.
 * Windows are never padded to share a call: padding changes the scores.
 *
 * What waits is bounded: once the queues together hold QUEUED_CALLS calls' worth of audio (or
 * of windows, when only the count is limited), the emptiest queue runs, then the next, until
 * they fit again: a rare length gains nothing by waiting, while a common one is filling up.
 * Common lengths thus run in full calls, and memory does not grow with the number of distinct
 * lengths (short files of all sizes, or whole files with --segment 0).
 *
 * One engine call runs at a time, in the background: `add` returns once a call has started,
 * so the caller can decode, resample and compute the mel distance of the next windows while
 * it runs. That overlap is real on a GPU, whose sessions live in the GPU process; the CPU
 * provider's `run` (onnxruntime-node runs it synchronously on the JS thread, in a
 * setImmediate) blocks JS until it ends, so there the JS work, about 10 ms per 2 s window,
 * runs between calls. At most one batch waits beside the one running.
 */
import type { WindowScores } from '../engine/engine.js';
import type { ScoringEngine } from '../engine/open-engine.js';

/** The part of the engine batching needs (an interface, so tests can count calls). */
export type BatchEngine = Pick<ScoringEngine, 'mode' | 'run'>;

export interface BatchLimits {
  /** Most windows per engine call (may be infinite when `batchSamples` is finite). */
  readonly batchSize: number;
  /** Most samples (per side) in one engine call; a queue runs once it holds this many. */
  readonly batchSamples: number;
}

/** How many calls' worth of windows may wait in the queues together. */
export const QUEUED_CALLS = 4;

export interface BatchItem<T> {
  readonly ref: Float32Array | null;
  readonly syn: Float32Array;
  /** The caller's bookkeeping for this window, handed back with its scores. */
  readonly tag: T;
}

export interface BatchCallbacks<T> {
  scored(tag: T, scores: WindowScores): void;
  /** The engine call holding this window failed (e.g. out of memory on a huge window). */
  failed(tag: T, error: unknown): void;
  /** After every engine call: windows and samples (per side) it scored. */
  ran?(windows: number, samples: number): void;
}

export class WindowBatcher<T> {
  private readonly queues = new Map<number, BatchItem<T>[]>();
  private queuedSamples = 0;
  private queuedWindows = 0;
  /** The engine call in progress; it never rejects (failures go to `failed`). */
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: BatchEngine,
    private readonly limits: BatchLimits,
    private readonly callbacks: BatchCallbacks<T>,
  ) {}

  /** Queues a window; runs its queue once that is full. */
  async add(item: BatchItem<T>): Promise<void> {
    const length = item.syn.length;
    const queue = this.queues.get(length) ?? [];
    queue.push(item);
    this.queues.set(length, queue);
    this.queuedSamples += length;
    this.queuedWindows += 1;
    if (queue.length >= this.limits.batchSize || queue.length * length >= this.limits.batchSamples) await this.run(length);
  }

  /** Runs the emptiest queues while the windows waiting exceed what may wait. */
  async relieve(): Promise<void> {
    while (
      this.queuedSamples >= QUEUED_CALLS * this.limits.batchSamples ||
      this.queuedWindows >= QUEUED_CALLS * this.limits.batchSize
    ) {
      const length = this.emptiestQueue();
      if (length < 0) return;
      await this.run(length);
    }
  }

  /** The length whose queue holds the fewest windows (the shortest among equals), or -1. */
  private emptiestQueue(): number {
    let best = -1;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const [length, queue] of this.queues) {
      if (queue.length < bestCount || (queue.length === bestCount && length < best)) {
        best = length;
        bestCount = queue.length;
      }
    }
    return best;
  }

  /** Runs every queue and waits for the last call to finish. */
  async flush(): Promise<void> {
    for (const length of [...this.queues.keys()]) await this.run(length);
    await this.settle();
  }

  /** Waits for the engine call in progress (queued windows stay queued). */
  settle(): Promise<void> {
    return this.running;
  }

  /** Starts a call for the queue of `length` once the previous call has finished. */
  private async run(length: number): Promise<void> {
    const items = this.queues.get(length) ?? [];
    this.queues.delete(length);
    if (items.length === 0) return;
    this.queuedSamples -= items.length * length;
    this.queuedWindows -= items.length;
    await this.running;
    this.running = this.execute(items, length);
  }

  private async execute(items: readonly BatchItem<T>[], length: number): Promise<void> {
    let scores: WindowScores[];
    try {
      const ref = this.engine.mode === 'pair' ? items.map((i) => i.ref!) : null;
      scores = await this.engine.run(ref, items.map((i) => i.syn));
    } catch (error) {
      for (const item of items) this.callbacks.failed(item.tag, error);
      return;
    }
    items.forEach((item, i) => this.callbacks.scored(item.tag, scores[i]!));
    this.callbacks.ran?.(items.length, items.length * length);
  }
}

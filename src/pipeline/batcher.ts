/**
 * Groups windows of equal length into engine calls. A queue per window length fills up to the
 * batch size; queued audio is bounded by `batchSamples`, beyond which every queue runs, so
 * memory does not grow with the number of distinct lengths (short files of all sizes).
 *
 * One engine call runs at a time, in the background: `add` returns once a call has started,
 * so the caller decodes, resamples and computes the mel distance of the next windows while
 * onnxruntime works on its own threads (measured: that JS work, about 10 ms per 2 s window,
 * then costs a third of that). At most one batch waits beside the one running.
 */
import type { WindowScores } from '../engine/engine.js';
import type { ScoringEngine } from '../engine/open-engine.js';

/** The part of the engine batching needs (an interface, so tests can count calls). */
export type BatchEngine = Pick<ScoringEngine, 'mode' | 'run'>;

export interface BatchLimits {
  /** Most windows per engine call. */
  readonly batchSize: number;
  /** Most queued samples (per side) before every queue is run regardless of fill. */
  readonly batchSamples: number;
}

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
    if (queue.length >= this.limits.batchSize || queue.length * length >= this.limits.batchSamples) await this.run(length);
  }

  /** Runs every queue when the audio waiting in them exceeds the budget. */
  async relieve(): Promise<void> {
    if (this.queuedSamples >= this.limits.batchSamples) await this.flush();
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

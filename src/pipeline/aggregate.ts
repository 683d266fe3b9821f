/**
 * Per-pair accumulation of window scores and their reduction to one result: a file's score is
 * the plain mean over its windows, accumulated in float64.
 */
import type { PairTotals, SubScores } from '../scores.js';

export interface WindowResult {
  readonly fmLayers: ArrayLike<number>;
  readonly real: ArrayLike<number>;
  readonly fake: ArrayLike<number>;
  readonly gen: ArrayLike<number>;
  /** mel L1 of this window (NaN when not computed). */
  readonly melL1: number;
}

export class PairAccumulator {
  private readonly fmLayers: Float64Array;
  private readonly real: Float64Array;
  private readonly fake: Float64Array;
  private readonly gen: Float64Array;
  private mel = 0;
  private melWindows = 0;
  private count = 0;

  constructor(
    private readonly subNames: readonly string[],
    private readonly layerCounts: readonly number[],
    private readonly pairMode: boolean,
  ) {
    const layers = layerCounts.reduce((a, b) => a + b, 0);
    this.fmLayers = new Float64Array(layers);
    this.real = new Float64Array(subNames.length);
    this.fake = new Float64Array(subNames.length);
    this.gen = new Float64Array(subNames.length);
  }

  get windows(): number {
    return this.count;
  }

  add(w: WindowResult): void {
    if (this.pairMode) {
      for (let i = 0; i < this.fmLayers.length; i++) this.fmLayers[i]! += w.fmLayers[i]!;
      for (let i = 0; i < this.real.length; i++) this.real[i]! += w.real[i]!;
    }
    for (let i = 0; i < this.fake.length; i++) {
      this.fake[i]! += w.fake[i]!;
      this.gen[i]! += w.gen[i]!;
    }
    if (!Number.isNaN(w.melL1)) {
      this.mel += w.melL1;
      this.melWindows += 1;
    }
    this.count += 1;
  }

  /** Means over the windows added so far. */
  result(): { totals: PairTotals; subs: SubScores[] } {
    const n = Math.max(1, this.count);
    let offset = 0;
    const subs: SubScores[] = this.subNames.map((name, i) => {
      const count = this.layerCounts[i]!;
      const fmLayers = this.pairMode ? Array.from(this.fmLayers.subarray(offset, offset + count), (v) => v / n) : [];
      offset += count;
      return {
        name,
        fm: this.pairMode ? 2 * fmLayers.reduce((a, b) => a + b, 0) : null,
        gen: this.gen[i]! / n,
        real: this.pairMode ? this.real[i]! / n : null,
        fake: this.fake[i]! / n,
        fmLayers,
      };
    });
    const sum = (pick: (s: SubScores) => number | null) => subs.reduce((a, s) => a + (pick(s) ?? 0), 0);
    const real = this.pairMode ? sum((s) => s.real) : null;
    const fake = sum((s) => s.fake);
    const totals: PairTotals = {
      fm: this.pairMode ? sum((s) => s.fm) : null,
      gen: sum((s) => s.gen),
      real,
      fake,
      disc: real === null ? null : real + fake,
      melL1: this.melWindows > 0 ? this.mel / this.melWindows : null,
    };
    return { totals, subs };
  }
}

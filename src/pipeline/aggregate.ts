/**
 * Per-pair accumulation of window scores and their reduction to one result: a file's score is
 * the plain mean over its windows, accumulated in float64.
 */
import { nativeLosses, type NativeLossSpec } from '../model/native-loss.js';
import type { PairTotals, SubScores } from '../scores.js';

/** `--loss native`: what the family's own losses are made of (model/native-loss.ts). */
export interface NativeLossPlan {
  readonly spec: NativeLossSpec;
  /** Each sub's input kind, in model order. */
  readonly kinds: readonly string[];
  /** The in-graph terms per sub and window (WindowScores.native), possibly none. */
  readonly columns: readonly string[];
}

export interface WindowResult {
  readonly fmLayers: ArrayLike<number>;
  readonly real: ArrayLike<number>;
  readonly fake: ArrayLike<number>;
  readonly gen: ArrayLike<number>;
  /** mel L1 of this window (NaN when not computed). */
  readonly melL1: number;
  /** Native loss terms, per sub NativeLossPlan.columns values (absent without them). */
  readonly native?: ArrayLike<number>;
}

export class PairAccumulator {
  private readonly fmLayers: Float64Array;
  private readonly real: Float64Array;
  private readonly fake: Float64Array;
  private readonly gen: Float64Array;
  private readonly native: Float64Array;
  private mel = 0;
  private melWindows = 0;
  private count = 0;

  constructor(
    private readonly subNames: readonly string[],
    private readonly layerCounts: readonly number[],
    private readonly pairMode: boolean,
    private readonly nativePlan: NativeLossPlan | null = null,
  ) {
    this.native = new Float64Array(nativePlan ? subNames.length * nativePlan.columns.length : 0);
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
      if (this.native.length > 0) {
        if (!w.native || w.native.length !== this.native.length) throw new Error('internal: the engine gave no native loss terms');
        for (let i = 0; i < this.native.length; i++) this.native[i]! += w.native[i]!;
      }
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

  /**
   * The family's own losses (NativeLossPlan) from the means over the windows added so far,
   * named as upstream logs them; null without a plan or in syn-only mode.
   */
  private nativeResult(subs: readonly SubScores[]): Record<string, number> | null {
    const plan = this.nativePlan;
    if (!plan || !this.pairMode) return null;
    const n = Math.max(1, this.count);
    const width = plan.columns.length;
    return nativeLosses(
      plan.spec,
      subs.map((s, i) => ({
        kind: plan.kinds[i]!,
        fmLayers: s.fmLayers,
        real: s.real ?? 0,
        fake: s.fake,
        gen: s.gen,
        terms: Object.fromEntries(plan.columns.map((c, k) => [c, this.native[i * width + k]! / n])),
      })),
    );
  }

  /** Means over the windows added so far. */
  result(): { totals: PairTotals; subs: SubScores[]; native: Record<string, number> | null } {
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
    return { totals, subs, native: this.nativeResult(subs) };
  }
}

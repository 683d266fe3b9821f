/**
 * Dynamic time warping of two feature sequences (frame-major Float32Arrays of `dims` values per
 * frame) under a band, in time O(n · band) and memory O(band): a 30-minute pair of 20 ms frames
 * is 90,000 rows of about 100 cells, never a 90,000 × 90,000 matrix.
 *
 * - Local cost of frames i and j: mean over the `dims` values of |a_i − b_j| (for log-mels, the
 *   per-frame term of mel_l1).
 * - Steps (Sakoe & Chiba's "symmetric2"): (i−1, j−1) → (i, j) weighs 2·cost, (i−1, j) and
 *   (i, j−1) weigh 1·cost, and the path starts at (0, 0) with weight 2. Every path from (0, 0) to
 *   (n−1, m−1) then has total weight n + m, so the distance D(n−1, m−1) / (n + m) is the weighted
 *   mean cost along the best path: 0 for identical sequences, equal to the frame-by-frame mean
 *   along the diagonal when n = m, and no path can win by being shorter. There is no local slope
 *   limit: a pause present in one file only is matched to neighbouring frames and pays its cost.
 * - Band (global constraint): cell (i, j) is allowed when |j − i·(m−1)/(n−1)| <= halfWidth, a
 *   Sakoe-Chiba band around the straight line from the first frames to the last ones. Its slope
 *   is the ratio of the lengths, so a uniform change of tempo stays in the middle of the band and
 *   only local timing differences use its width. The half-width is raised to at least the slope
 *   plus one so that consecutive rows always connect.
 */

export interface BandRow {
  /** First and last allowed column of the row (inclusive). */
  readonly lo: number;
  readonly hi: number;
}

/** The band's rows for sequences of n and m frames. */
export class DtwBand {
  readonly halfWidth: number;
  private readonly slope: number;

  constructor(
    readonly n: number,
    readonly m: number,
    halfWidth: number,
  ) {
    if (!(n >= 1 && m >= 1)) throw new RangeError(`DTW needs at least one frame on each side (got ${n} and ${m})`);
    this.slope = n > 1 ? (m - 1) / (n - 1) : 0;
    this.halfWidth = Math.max(Math.floor(halfWidth), Math.ceil(this.slope) + 1);
  }

  /** The most cells any row has. */
  get maxRowWidth(): number {
    return this.n === 1 ? this.m : Math.min(this.m, 2 * this.halfWidth + 1);
  }

  row(i: number): BandRow {
    if (this.n === 1) return { lo: 0, hi: this.m - 1 };
    const center = i * this.slope;
    return {
      lo: Math.max(0, Math.ceil(center - this.halfWidth - 1e-9)),
      hi: Math.min(this.m - 1, Math.floor(center + this.halfWidth + 1e-9)),
    };
  }
}

/**
 * The DTW recursion fed one row (one frame of the first sequence) at a time, in order. The
 * second sequence is passed per row as a buffer holding at least the row's band of frames, so a
 * caller can stream both sequences (see mel-dtw.ts).
 */
export class BandedDtw {
  private readonly band: DtwBand;
  private previous: Float64Array;
  private current: Float64Array;
  private previousRow: BandRow = { lo: 0, hi: -1 };
  private rows = 0;

  constructor(
    n: number,
    m: number,
    private readonly dims: number,
    halfWidth: number,
  ) {
    this.band = new DtwBand(n, m, halfWidth);
    this.previous = new Float64Array(this.band.maxRowWidth);
    this.current = new Float64Array(this.band.maxRowWidth);
  }

  /** Allowed columns of row i. */
  row(i: number): BandRow {
    return this.band.row(i);
  }

  get done(): boolean {
    return this.rows === this.band.n;
  }

  /**
   * Adds row i = (rows added so far): frame `a` (values [aOffset, aOffset + dims)) against
   * frames lo..hi of the second sequence, which `b` holds from frame `bFirst` on.
   */
  addRow(a: Float32Array, aOffset: number, b: Float32Array, bFirst: number): void {
    const i = this.rows;
    if (i >= this.band.n) throw new RangeError('all rows have been added');
    const { lo, hi } = this.band.row(i);
    if (lo < bFirst || (hi - bFirst + 1) * this.dims > b.length) {
      throw new RangeError(`row ${i} needs frames ${lo}..${hi} of the second sequence, given ${bFirst}..${bFirst + b.length / this.dims - 1}`);
    }
    const dims = this.dims;
    const prev = this.previous;
    const cur = this.current;
    const p = this.previousRow;
    for (let j = lo; j <= hi; j++) {
      let cost = 0;
      const bOffset = (j - bFirst) * dims;
      for (let k = 0; k < dims; k++) cost += Math.abs(a[aOffset + k]! - b[bOffset + k]!);
      cost /= dims;
      let best = Infinity;
      if (i === 0 && j === 0) best = 2 * cost;
      if (j > lo) best = Math.min(best, cur[j - 1 - lo]! + cost);
      if (i > 0) {
        if (j >= p.lo && j <= p.hi) best = Math.min(best, prev[j - p.lo]! + cost);
        if (j - 1 >= p.lo && j - 1 <= p.hi) best = Math.min(best, prev[j - 1 - p.lo]! + 2 * cost);
      }
      cur[j - lo] = best;
    }
    this.previous = cur;
    this.current = prev;
    this.previousRow = { lo, hi };
    this.rows += 1;
  }

  /** D(n−1, m−1) / (n + m): the weighted mean cost along the best path (after all rows). */
  distance(): number {
    if (!this.done) throw new RangeError(`${this.band.n - this.rows} rows are still missing`);
    const { lo } = this.previousRow;
    return this.previous[this.band.m - 1 - lo]! / (this.band.n + this.band.m);
  }
}

/** Banded DTW distance of two whole sequences (n and m frames of `dims` values, frame-major). */
export function dtwDistance(a: Float32Array, b: Float32Array, dims: number, halfWidth: number): number {
  const n = a.length / dims;
  const m = b.length / dims;
  const dtw = new BandedDtw(n, m, dims, halfWidth);
  for (let i = 0; i < n; i++) dtw.addRow(a, i * dims, b, 0);
  return dtw.distance();
}

/**
 * Equal-width histograms of a metric for the HTML report's distribution plots. Binned here
 * rather than in the page so the report embeds a few dozen counts per plot, not every value.
 */

export interface Histogram {
  /** Bin edges, ascending; bin i is [edges[i], edges[i+1]) and the last one includes its right edge. */
  readonly edges: number[];
  readonly counts: number[];
}

/**
 * Bins `values` (finite numbers) into ceil(sqrt(n)) bins, at least 1 and at most `maxBins`
 * (default 40). All-equal values give one bin of width 1 centred on the value.
 */
export function histogram(values: ArrayLike<number>, maxBins = 40): Histogram {
  if (values.length === 0) return { edges: [], counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === max) return { edges: [min - 0.5, min + 0.5], counts: [values.length] };
  const bins = Math.max(1, Math.min(maxBins, Math.ceil(Math.sqrt(values.length))));
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const bin = Math.min(bins - 1, Math.floor((value - min) / width));
    counts[bin]!++;
  }
  return { edges, counts };
}

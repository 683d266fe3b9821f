// Reads what bench/peak-rss.cjs wrote for one CLI call: one line per process, "<peak RSS kB>
// <private kB>". Used by bench/corpus.mjs and the long-file memory tests.

/**
 * The call's peak memory in MB: the largest process's peak RSS plus what the others hold
 * privately. A launcher that relaunched its scorer (src/cli/relaunch.ts) idles beside it; most
 * of its RSS is the Node.js binary's pages, which the scorer maps too (measured: 45 MB RSS,
 * 8.5 MB private). A line without the private figure counts whole.
 */
export function peakRssMb(text) {
  const processes = text.split('\n').filter(Boolean).map((line) => {
    const [peak, own] = line.split(' ').map((field) => (field === '' ? NaN : Number(field)));
    return { peak, own: Number.isFinite(own) ? own : peak };
  });
  if (processes.length === 0) throw new Error('no peak RSS was written');
  processes.sort((a, b) => b.peak - a.peak);
  return processes.reduce((kb, p, i) => kb + (i === 0 ? p.peak : p.own), 0) / 1024;
}

// Preloaded into the CLI by bench/corpus.mjs and the long-file tests (node --require): appends one line per process
// when it exits, "<peak RSS kB (VmHWM)> <private kB>", to $TTS_CRITIC_BENCH_RSS. The CLI may run as a
// launcher and the scorer it relaunched with huge pages (src/cli/relaunch.ts), which inherits
// this preload; peakRssMb in peak-rss.mjs combines the lines.
const fs = require('node:fs');

/** Private_Clean + Private_Dirty of this process now, in kB (Linux), else null. */
function privateKb() {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    const total = field('Private_Clean') + field('Private_Dirty');
    return Number.isFinite(total) ? total : null;
  } catch {
    return null;
  }
}

/**
 * This process's own peak RSS in kB: VmHWM on Linux. ru_maxrss (`resourceUsage().maxRSS`) also
 * counts the parent's memory copied at fork and kept across exec, so a child of a large Jest
 * worker would report the worker's size.
 */
function peakKb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // Not Linux: the portable figure.
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  const file = process.env.TTS_CRITIC_BENCH_RSS;
  if (file) fs.appendFileSync(file, `${peakKb()} ${privateKb() ?? ''}\n`);
});

// Preloaded into the CLI by bench/corpus.mjs and the long-file tests (node --require): appends one line per process
// when it exits, "<peak RSS kB> <private kB>", to $TTS_CRITIC_BENCH_RSS. The CLI may run as a
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

process.on('exit', () => {
  const file = process.env.TTS_CRITIC_BENCH_RSS;
  if (file) fs.appendFileSync(file, `${process.resourceUsage().maxRSS} ${privateKb() ?? ''}\n`);
});

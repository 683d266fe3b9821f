// Preloaded into the CLI by bench/corpus.mjs (node --require): writes the process's peak
// resident set size in kB to $TTS_CRITIC_BENCH_RSS when it exits.
const fs = require('node:fs');

process.on('exit', () => {
  const file = process.env.TTS_CRITIC_BENCH_RSS;
  if (file) fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
});

// Runs `score` (the built dist/ command, everything but the engine) over N generated pairs with
// a stand-in scorer that makes up a result per pair, and prints `<exit code> <RSS MB when
// scoring started> <largest RSS MB while scoring>`. For the memory test of
// test/cli/score-memory.test.ts only: this stand-in is no scoring path.
//   node test/helpers/stand-in-score.mjs N OUTPUT [flag value ...]
import { scoreCommand } from '../../dist/cli/score-command.js';

const [count, output, ...extra] = process.argv.slice(2);
const n = Number(count);
const SUBS = ['s', 'p2', 'p3', 'p5', 'p7', 'p11'];
const model = {
  family: 'gpt-sovits', sampleRate: 32000, subs: SUBS, weights: 'untrained', seed: 0, checkpoint: null, sha256: null,
  precision: null, provider: 'cpu', adapter: null, segmentSamples: 64000, align: 'offset', maxOffsetSamples: 16000,
};

/** A made-up but well-formed result: every number a function of the pair's index. */
function result(spec, i) {
  const base = ((i * 7919) % 1000) / 1000;
  return {
    key: spec.key, ref: spec.ref, syn: spec.syn, status: i % 997 === 0 ? 'error' : 'ok', error: i % 997 === 0 ? 'made up' : '',
    sampleRate: 32000, refSeconds: 2 + base, synSeconds: 2 + base, refFormat: 'wav/pcm16', synFormat: 'wav/pcm16',
    refSampleRate: 32000, synSampleRate: 32000, windows: 2, offsetMs: 0, warning: '',
    totals: i % 997 === 0 ? null : { fm: base, gen: 1 + base, real: 0.5, fake: 0.25 + base, disc: 0.75 + base, melL1: 2 * base, melDtw: base },
    subs: i % 997 === 0 ? [] : SUBS.map((name, k) => ({ name, fm: base * (k + 1), gen: base + k, real: 0.1 * k, fake: 0.2, fmLayers: [base, base / 2, base / 3, base / 4] })),
  };
}

let start = 0;
let largest = 0;
function sample() {
  const rss = process.memoryUsage.rss() / 1048576;
  if (start === 0) start = rss;
  largest = Math.max(largest, rss);
}

const standIn = async () => ({
  model,
  layerCounts: SUBS.map(() => 4),
  async *scorePairs(pairs) {
    let i = 0;
    for await (const spec of pairs) {
      if (i % 2000 === 0) sample();
      yield result(spec, i++);
    }
    sample();
  },
  scoreFolders() {
    throw new Error('not used');
  },
  scoreFiles() {
    throw new Error('not used');
  },
  dispose: async () => {},
});

// The manifest comes on stdin-like text: one pair a line.
const lines = ['ref,syn'];
for (let i = 0; i < n; i++) lines.push(`ref/spk${i % 100}/u${String(i).padStart(7, '0')}.wav,syn/spk${i % 100}/u${String(i).padStart(7, '0')}.wav`);
const { Readable, Writable } = await import('node:stream');
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const io = { stdin: Readable.from([`${lines.join('\n')}\n`]), stdout: sink(), stderr: sink() };
lines.length = 0;
const flags = { pairs: '-', output, quiet: true, failIf: ['p95(fm) > 10', 'count(fm > 0.99) > 1000000'] };
for (let i = 0; i < extra.length; i += 2) flags[extra[i]] = extra[i + 1];
const code = await scoreCommand(undefined, undefined, flags, io, { createScorer: standIn });
process.stdout.write(`${code} ${start.toFixed(1)} ${largest.toFixed(1)}\n`);

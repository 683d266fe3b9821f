/** `--sample-rate` through the CLI: the JSON model block says where the rate came from; a contradiction is exit 2. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDict, torchZip, type SaveValue } from '../support/checkpoint-writers/writers.js';
import { runMain } from '../helpers/cli.js';
import { removeDir, tempDir, writeTone } from '../helpers/e2e.js';
import { tinyWeights } from '../helpers/tiny-model.js';

let dir: string;
let ckpt: string;
beforeAll(async () => {
  dir = tempDir('cli-rate');
  for (const side of ['ref', 'syn']) await writeTone(path.join(dir, side, 'a.wav'), { seconds: 0.5, sampleRate: 48000, seed: side === 'ref' ? 1 : 2 });
  // A Lightning checkpoint that says it was trained at 48 kHz.
  ckpt = path.join(dir, 'model.ckpt');
  writeFileSync(ckpt, torchZip(new Map<string, SaveValue>([
    ['state_dict', stateDict(tinyWeights('rvc-v2', { divisor: 64 }))],
    ['hyper_parameters', new Map<string, SaveValue>([['sample_rate', 48000]])],
  ])));
});
afterAll(() => removeDir(dir));

const args = () => ['score', path.join(dir, 'ref'), path.join(dir, 'syn'), '--weights', ckpt, '--format', 'json', '--quiet', '--segment', '0'];

test('the rate the checkpoint states is used and recorded, as is an agreeing --sample-rate', async () => {
  const run = await runMain(args());
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { model: Record<string, unknown>; files: Record<string, unknown>[] };
  expect(doc.model).toMatchObject({ family: 'rvc-v2', sample_rate: 48000, sample_rate_source: 'hyper_parameters.sample_rate in the checkpoint' });
  expect(doc.files[0]).toMatchObject({ status: 'ok', sample_rate: 48000 });
  const agreeing = await runMain([...args(), '--sample-rate', '48000']);
  expect(JSON.parse(agreeing.stdout).model).toMatchObject({ sample_rate: 48000, sample_rate_source: '--sample-rate' });
});

test('a --sample-rate that contradicts the checkpoint, or that is no rate, is a usage error (exit 2)', async () => {
  const run = await runMain([...args(), '--sample-rate', '40000']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--sample-rate 40000 contradicts the checkpoint, whose hyper_parameters.sample_rate says 48000');
  expect((await runMain([...args(), '--sample-rate', '100'])).code).toBe(2);
});

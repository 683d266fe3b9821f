/**
 * `--loss`: the standard scores by default (no native columns, `"loss": "standard"`), the
 * family's own losses with `native` (columns after the contract's, CSV and JSON), and the
 * mistakes it refuses. The values themselves: test/golden/dac-vocos-encodec.test.ts.
 */
import path from 'node:path';
import { runMain } from '../helpers/cli.js';
import { removeDir, tempDir, writeTinyCheckpoint, writeTone } from '../helpers/e2e.js';

let dir: string;

beforeAll(async () => {
  dir = tempDir('loss');
  for (const side of ['ref', 'syn']) await writeTone(path.join(dir, side, 'a.wav'), { seconds: 0.5, seed: side === 'ref' ? 1 : 2 });
  await writeTinyCheckpoint(path.join(dir, 'tiny.pth'));
}, 60_000);

afterAll(() => removeDir(dir));

const pairs = () => [path.join(dir, 'ref'), path.join(dir, 'syn')];

test('the default is the standard scores: no native columns, "loss": "standard" in the model block', async () => {
  const run = await runMain(['score', ...pairs(), '--weights', path.join(dir, 'tiny.pth'), '--format', 'json', '--quiet']);
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { model: Record<string, unknown>; files: Record<string, unknown>[] };
  expect(doc.model.loss).toBe('standard');
  expect(doc.model.native_losses).toBeUndefined();
  expect(Object.keys(doc.files[0]!).some((k) => k.startsWith('native_'))).toBe(false);
});

test('--loss native adds the family\'s own losses as native_<name> columns after the contract columns (gpt-sovits: the standard LSGAN ones)', async () => {
  const base = ['score', ...pairs(), '--weights', path.join(dir, 'tiny.pth'), '--loss', 'native', '--quiet'];
  const csv = await runMain(base);
  expect(csv.code).toBe(0);
  const header = csv.stdout.split('\n')[0]!.split(',');
  expect(header.slice(-3)).toEqual(['native_generator_loss', 'native_feature_loss', 'native_discriminator_loss']);
  expect(header.indexOf('weights')).toBeLessThan(header.indexOf('native_generator_loss'));
  const json = await runMain([...base, '--format', 'json']);
  const doc = JSON.parse(json.stdout) as { model: Record<string, unknown>; files: Record<string, number>[] };
  expect(doc.model.loss).toBe('native');
  expect(doc.model.native_losses).toEqual(['generator_loss', 'feature_loss', 'discriminator_loss']);
  const record = doc.files[0]!;
  // For a family that trains with the standard losses the native values are the standard ones.
  expect(record.native_feature_loss).toBeCloseTo(record.fm!, 6);
  expect(record.native_generator_loss).toBeCloseTo(record.gen!, 6);
  expect(record.native_discriminator_loss).toBeCloseTo(record.disc!, 6);
});

test.each([
  [['--loss', 'native', '--syn-only', 'SYN'], /--loss native needs the reference/],
  [['--loss', 'hinge', 'REF', 'SYN'], /--loss.*(standard|choices)/],
])('refused with exit 2: %j', async (args, message) => {
  const argv = args.map((a) => (a === 'SYN' ? path.join(dir, 'syn') : a === 'REF' ? path.join(dir, 'ref') : a));
  const run = await runMain(['score', ...argv, '--weights', path.join(dir, 'tiny.pth')]);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(message);
});

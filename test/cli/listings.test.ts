/** `tts-critic families` and `tts-critic models`: what each family is used by, and the zoo with its rates. */
import { FAMILIES } from '../../src/model/index.js';
import { ZOO } from '../../src/model/zoo.js';
import { runMain } from '../helpers/cli.js';

test('families: every family with its sub-discriminators; RVC v1/v2 say who trains with them', async () => {
  const run = await runMain(['families']);
  expect(run.code).toBe(0);
  for (const family of FAMILIES) expect(run.stdout).toContain(`${family.name.padEnd(18)} ${family.description}`);
  expect(run.stdout).toMatch(/^rvc-v1 +RVC v1 voice conversion \(RVC WebUI v1 models, Applio.*\n +subs: s p2 p3 p5 p7 p11 p17\n/m);
  expect(run.stdout).toMatch(/^rvc-v2 +RVC v2 voice conversion \(RVC WebUI v2 models, Applio.*\n +subs: s p2 p3 p5 p7 p11 p17 p23 p37\n/m);
});

test('models: one aligned line per zoo entry, long BigVGAN v2 names included', async () => {
  const run = await runMain(['models']);
  expect(run.code).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(ZOO.length);
  const familyColumn = new Set(lines.map((line, i) => line.indexOf(` ${ZOO[i]!.family} `)));
  expect(familyColumn.size).toBe(1);
  expect(run.stdout).toMatch(/^bigvgan-v2-44khz-128band-512x-3msteps +bigvgan-v2 +1526 MB {2}BigVGAN v2/m);
  expect(run.stdout).toMatch(/^rvc-v1-f0d40k +rvc-v1 +110 MB {2}RVC v1 pretrained discriminator/m);
});

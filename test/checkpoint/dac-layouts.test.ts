/**
 * DAC's layout depends on its `rates` argument, and weights.pth's metadata holds the class
 * defaults, not the arguments: the layout is read from the keys. The released configs
 * (`rates: []`, MRD at discriminators.5..7) and the ablations' (`rates: [1]`, an MSD at 5) both
 * load as `dac`, detected or named, and neither is taken for the other or for GPT-SoVITS v2Pro
 * (also discriminators.0..7).
 */
import path from 'node:path';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { DAC, DAC_WITH_MSD } from '../../src/model/families/dac.js';
import { untrainedWeights } from '../../src/model/index.js';
import type { ConvLayer, FamilySpec } from '../../src/model/types.js';
import { stateDict, torchZip, writeCheckpointFile } from '../support/checkpoint-writers/writers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('dac-layouts');
});
afterAll(() => removeDir(dir));

/** Widths / 16 (inputs of 1 and 2 channels kept), groups reduced to fit. */
function tiny(family: FamilySpec): FamilySpec {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const shrink = (c: ConvLayer): ConvLayer => {
    const inCh = c.in <= 2 ? c.in : c.in / 16;
    const out = c.out === 1 ? 1 : c.out / 16;
    return { ...c, in: inCh, out, groups: gcd(gcd(inCh, out), c.groups) };
  };
  return { ...family, subs: family.subs.map((s) => ({ ...s, convs: s.convs.map(shrink), post: shrink(s.post) })) };
}

/** A tiny DAC weights.pth: `{"state_dict": sd, "metadata": {...}}` as audiotools saves it. */
async function writeDac(name: string, family: FamilySpec): Promise<string> {
  const file = path.join(dir, name);
  await writeCheckpointFile(file, torchZip(new Map([['state_dict', stateDict(untrainedWeights(tiny(family), 3))]])));
  return file;
}

test.each([
  ['released (rates: [])', DAC, ['p2', 'p3', 'p5', 'p7', 'p11', 'r2048', 'r1024', 'r512']],
  ['rates: [1]', DAC_WITH_MSD, ['p2', 'p3', 'p5', 'p7', 'p11', 's1', 'r2048', 'r1024', 'r512']],
] as const)('%s: detected from the keys alone, and loaded as named with --family dac', async (label, family, subs) => {
  const file = await writeDac(`${label.replace(/\W+/g, '-')}.pth`, family);
  for (const options of [{}, { family: 'dac' }]) {
    const { model } = await loadCheckpoint(file, options);
    expect(model.family.name).toBe('dac');
    expect(model.subs.map((s) => s.name)).toEqual(subs);
  }
});

test('the released layout is what --family dac means without a checkpoint', async () => {
  const { findFamily } = await import('../../src/model/index.js');
  expect(findFamily('dac')).toBe(DAC);
  expect(DAC.subs.map((s) => s.prefix)).toEqual(Array.from({ length: 8 }, (_, i) => `discriminators.${i}`));
});

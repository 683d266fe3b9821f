/** The native loss formulas against the golden `native_losses`, from the golden per-sub values. */
import { nativeLosses, nativeLossOf, nativeTermsOf, type NativeSubInput } from '../../src/model/native-loss.js';
import { expectRelativeClose, goldenCase } from '../helpers/golden.js';

interface GoldenNative {
  readonly native_losses: Record<string, unknown> & { readonly tprls_per_sub?: readonly { name: string; generator_tprls: number; discriminator_tprls: number }[] };
  readonly subs: readonly { name: string; fm_layers: number[]; real: number; fake: number; gen: number }[];
}

function inputsOf(name: string, terms: (sub: string) => Record<string, number> = () => ({})): { inputs: NativeSubInput[]; expected: GoldenNative['native_losses'] } {
  const e = goldenCase(name).expected as unknown as GoldenNative;
  const inputs = e.subs.map((s) => ({ kind: s.name.startsWith('p') ? 'period' : 'stft', fmLayers: s.fm_layers, real: s.real, fake: s.fake, gen: s.gen, terms: terms(s.name) }));
  return { inputs, expected: e.native_losses };
}

test('dac: unscaled feature loss, LSGAN terms and the lambda-weighted generator total', () => {
  const { inputs, expected } = inputsOf('dac');
  const got = nativeLosses(nativeLossOf({ name: 'dac' }), inputs);
  for (const key of ['discriminator_loss', 'gen_loss', 'feat_loss', 'generator_adversarial_weighted']) {
    expectRelativeClose(got[key], expected[key] as number, 1e-4, `dac ${key}`);
  }
  expect(nativeTermsOf({ name: 'dac' })).toBeNull();
});

test('styletts2: LSGAN + x2 feature loss + the per-sub TPRLS terms', () => {
  const golden = inputsOf('styletts2').expected;
  const perSub = new Map(golden.tprls_per_sub!.map((t) => [t.name, { tprls_gen: t.generator_tprls, tprls_disc: t.discriminator_tprls }]));
  const { inputs, expected } = inputsOf('styletts2', (name) => perSub.get(name)!);
  const got = nativeLosses(nativeLossOf({ name: 'styletts2' }), inputs);
  for (const key of ['generator_loss', 'discriminator_loss', 'feature_loss', 'generator_lsgan', 'discriminator_lsgan', 'generator_tprls', 'discriminator_tprls']) {
    expectRelativeClose(got[key], expected[key] as number, 1e-4, `styletts2 ${key}`);
  }
  expect(nativeTermsOf({ name: 'styletts2' })).toBe('tprls');
});

test('families without a table entry train with the standard LSGAN definitions', () => {
  const { inputs } = inputsOf('dac');
  const got = nativeLosses(nativeLossOf({ name: 'rvc-v2' }), inputs);
  const l1 = inputs.reduce((a, s) => a + s.fmLayers.reduce((x, y) => x + y, 0), 0);
  expect(got.feature_loss).toBeCloseTo(2 * l1, 10);
  expect(got.generator_loss).toBeCloseTo(inputs.reduce((a, s) => a + s.gen, 0), 10);
  expect(got.discriminator_loss).toBeCloseTo(inputs.reduce((a, s) => a + s.real + s.fake, 0), 10);
  expect(nativeTermsOf({ name: 'rvc-v2' })).toBeNull();
});

test('vocos and encodec: hinge terms divided by the sub count, per group for vocos', () => {
  const sub = (kind: string, fmLayers: number[], t: [number, number, number, number]): NativeSubInput => ({
    kind,
    fmLayers,
    real: 0,
    fake: 0,
    gen: 0,
    terms: { hinge_real: t[0], hinge_fake: t[1], hinge_gen: t[2], syn_mean: t[3] },
  });
  const subs = [sub('period', [1, 2], [1, 2, 3, -1]), sub('period', [3], [2, 2, 1, 1]), sub('stft', [4, 4, 4, 4], [4, 0, 2, 0.5])];
  const vocos = nativeLosses(nativeLossOf({ name: 'vocos' }), subs);
  expect(vocos['discriminator/multi_period_loss']).toBeCloseTo((3 + 4) / 2);
  expect(vocos['discriminator/multi_res_loss']).toBeCloseTo(4);
  expect(vocos['discriminator/total']).toBeCloseTo(3.5 + 0.4);
  expect(vocos['generator/multi_period_loss']).toBeCloseTo(2);
  expect(vocos['generator/feature_matching_mp']).toBeCloseTo(3);
  expect(vocos['generator/feature_matching_mrd']).toBeCloseTo(16);
  expect(vocos['generator/adversarial_total_without_mel']).toBeCloseTo(2 + 0.2 + 3 + 1.6);
  const encodec = nativeLosses(nativeLossOf({ name: 'encodec' }), subs);
  expect(encodec.generator_adv).toBeCloseTo((1 - 1 - 0.5) / 3);
  expect(encodec.generator_feat).toBeCloseTo((1.5 + 3 + 4) / 3);
  expect(encodec.discriminator).toBeCloseTo((3 + 4 + 4) / 3);
});

/**
 * Each project's own training losses (`--loss native`), as data plus one pure function from a
 * pair's per-sub means to the values that project logs, under its own names. The standard
 * scores (fm, gen, real, fake, disc) keep their one definition; these come beside them.
 *
 * Sources (../shared/reference/modern-discriminators.md): DAC dac/nn/loss.py GANLoss with the
 * conf lambdas; Vocos vocos/loss.py + VocosExp.training_step (hinge, / n, mrd_loss_coeff);
 * AudioCraft adversarial/losses.py (hinge, normalize=True); StyleTTS 2 losses.py (LSGAN + x2
 * feature loss + TPRLS). RVC, BigVGAN and the older families train with the standard LSGAN
 * and x2 feature loss.
 */
import type { FamilySpec } from './types.js';

export type NativeLossSpec =
  /** LSGAN, feature loss 2 x Σ mean|f_r − f_g| (VITS, GPT-SoVITS, RVC, HiFi-GAN, BigVGAN). */
  | { readonly kind: 'lsgan' }
  /** LSGAN; feature loss Σ F.l1_loss unscaled, weighted by `featLambda` in the generator's total. */
  | { readonly kind: 'dac'; readonly genLambda: number; readonly featLambda: number }
  /** Hinge per group (periods: mp, resolutions: mrd), every group's sums divided by its sub count. */
  | { readonly kind: 'vocos'; readonly mrdCoeff: number }
  /** Hinge, generator −mean D(syn), feature loss mean over maps, all divided by the sub count. */
  | { readonly kind: 'audiocraft' }
  /** LSGAN + x2 feature loss + TPRLS (τ in the graph, engine/native-scores.ts). */
  | { readonly kind: 'styletts2' };

/** Per family; a family not listed trains with the standard LSGAN losses. */
const NATIVE_LOSSES: Readonly<Record<string, NativeLossSpec>> = {
  // conf/final/*.yml: lambdas adv/gen_loss 1.0, adv/feat_loss 2.0.
  dac: { kind: 'dac', genLambda: 1, featLambda: 2 },
  // configs/vocos.yaml: mrd_loss_coeff 0.1 (vocos-encodec.yaml: 1.0).
  vocos: { kind: 'vocos', mrdCoeff: 0.1 },
  encodec: { kind: 'audiocraft' },
  styletts2: { kind: 'styletts2' },
};

export function nativeLossOf(family: Pick<FamilySpec, 'name'>): NativeLossSpec {
  return NATIVE_LOSSES[family.name] ?? { kind: 'lsgan' };
}

/** The in-graph terms a family's native losses need beyond the standard scores (engine/native-scores.ts). */
export function nativeTermsOf(family: Pick<FamilySpec, 'name'>): 'hinge' | 'tprls' | null {
  const kind = nativeLossOf(family).kind;
  if (kind === 'vocos' || kind === 'audiocraft') return 'hinge';
  if (kind === 'styletts2') return 'tprls';
  return null;
}

/** One sub's means over a pair's windows, as the native losses read them. */
export interface NativeSubInput {
  /** The sub's input kind: Vocos groups its subs by it (`period` = mp, the rest = mrd). */
  readonly kind: string;
  /** mean|f_ref − f_syn| per feature map (no factor 2). */
  readonly fmLayers: readonly number[];
  readonly real: number;
  readonly fake: number;
  readonly gen: number;
  /** The in-graph native terms by name (hinge_real, hinge_fake, hinge_gen, syn_mean, tprls_gen, tprls_disc). */
  readonly terms: Readonly<Record<string, number>>;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function term(sub: NativeSubInput, name: string): number {
  const value = sub.terms[name];
  if (value === undefined) throw new Error(`internal: native term ${name} was not computed`);
  return value;
}

/** The names nativeLosses gives for `spec` (the subs' kinds decide nothing but are needed). */
export function nativeLossNames(spec: NativeLossSpec, kinds: readonly string[]): string[] {
  const terms = { hinge_real: 0, hinge_fake: 0, hinge_gen: 0, syn_mean: 0, tprls_gen: 0, tprls_disc: 0 };
  return Object.keys(nativeLosses(spec, kinds.map((kind) => ({ kind, fmLayers: [], real: 0, fake: 0, gen: 0, terms }))));
}

/** The native loss values of a pair, named as upstream logs them. */
export function nativeLosses(spec: NativeLossSpec, subs: readonly NativeSubInput[]): Record<string, number> {
  const lsgan = {
    gen: sum(subs.map((s) => s.gen)),
    disc: sum(subs.map((s) => s.real + s.fake)),
    l1: sum(subs.map((s) => sum(s.fmLayers))),
  };
  switch (spec.kind) {
    case 'lsgan':
      return { generator_loss: lsgan.gen, feature_loss: 2 * lsgan.l1, discriminator_loss: lsgan.disc };
    case 'dac':
      return {
        discriminator_loss: lsgan.disc,
        gen_loss: lsgan.gen,
        feat_loss: lsgan.l1,
        generator_adversarial_weighted: spec.genLambda * lsgan.gen + spec.featLambda * lsgan.l1,
      };
    case 'vocos': {
      const group = (subsOf: readonly NativeSubInput[]) => {
        const n = Math.max(1, subsOf.length);
        return {
          disc: sum(subsOf.map((s) => term(s, 'hinge_real') + term(s, 'hinge_fake'))) / n,
          gen: sum(subsOf.map((s) => term(s, 'hinge_gen'))) / n,
          fm: sum(subsOf.map((s) => sum(s.fmLayers))) / n,
        };
      };
      const mp = group(subs.filter((s) => s.kind === 'period'));
      const mrd = group(subs.filter((s) => s.kind !== 'period'));
      const c = spec.mrdCoeff;
      return {
        'discriminator/multi_period_loss': mp.disc,
        'discriminator/multi_res_loss': mrd.disc,
        'discriminator/total': mp.disc + c * mrd.disc,
        'generator/multi_period_loss': mp.gen,
        'generator/multi_res_loss': mrd.gen,
        'generator/feature_matching_mp': mp.fm,
        'generator/feature_matching_mrd': mrd.fm,
        'generator/adversarial_total_without_mel': mp.gen + c * mrd.gen + mp.fm + c * mrd.fm,
      };
    }
    case 'audiocraft': {
      const n = Math.max(1, subs.length);
      return {
        generator_adv: sum(subs.map((s) => -term(s, 'syn_mean'))) / n,
        generator_feat: sum(subs.map((s) => sum(s.fmLayers) / Math.max(1, s.fmLayers.length))) / n,
        discriminator: sum(subs.map((s) => term(s, 'hinge_real') + term(s, 'hinge_fake'))) / n,
      };
    }
    case 'styletts2': {
      const genTprls = sum(subs.map((s) => term(s, 'tprls_gen')));
      const discTprls = sum(subs.map((s) => term(s, 'tprls_disc')));
      return {
        generator_loss: lsgan.gen + 2 * lsgan.l1 + genTprls,
        discriminator_loss: lsgan.disc + discTprls,
        feature_loss: 2 * lsgan.l1,
        generator_lsgan: lsgan.gen,
        discriminator_lsgan: lsgan.disc,
        generator_tprls: genTprls,
        discriminator_tprls: discTprls,
      };
    }
  }
}

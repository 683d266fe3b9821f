/**
 * WebGPU against CPU, for every family in both graph modes, at batch sizes 1 and 2: every
 * per-layer feature distance and every score agrees within 1e-4 relative.
 *
 * Reduced widths keep it fast on the software renderer: channels / 16 and, for spectrogram
 * discriminators, FFT size, hop and window / 4 (the software renderer spends about a second
 * per window on a 4096-point STFT; BigVGAN v2's CQT keeps its size: its kernels are the rate's).
 * The graph, its ops and the reductions are the ones built
 * at full width; test/cli-pipelines/webgpu.test.ts runs the full-width default family
 * (sovits5, 4096-point STFT included) through the CLI.
 */
import type { GraphMode } from '../../src/engine/discriminator-graph.js';
import type { WindowScores } from '../../src/engine/engine.js';
import { openEngine, type ScoringEngine } from '../../src/engine/open-engine.js';
import { familyNames, featureCount, resolveModel } from '../../src/model/index.js';
import { nativeTermsOf } from '../../src/model/native-loss.js';
import type { FamilySpec } from '../../src/model/types.js';
import { describeWebGpu, SOFTWARE_GPU } from '../helpers/webgpu.js';
import { tinyFamily, tinyWeights } from '../helpers/tiny-model.js';

const TOLERANCE = 1e-4;
/** Samples per window: above every family's minimum (sovits5: 1809), short for the software renderer. */
const LENGTH = 2400;
/** Windows in the batched call (the software renderer's cost grows with it). */
const BATCH = 2;

/**
 * A deterministic window: a few partials plus noise. The synthesized side differs in pitch,
 * noise and level (x3), so every layer's distance is well above float32 rounding noise.
 */
function signal(seed: number, variant: number): Float32Array {
  let state = (seed * 2654435761 + variant * 97) >>> 0;
  const noise = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const f0 = 0.02 + 0.013 * seed + 0.011 * variant;
  const level = 1 + 2 * variant;
  return Float32Array.from({ length: LENGTH }, (_, i) => {
    const tone = 0.4 * Math.sin(f0 * i) + 0.2 * Math.sin(3.1 * f0 * i + variant) + 0.1 * Math.sin((0.37 + 0.05 * variant) * i);
    return level * (tone + 0.2 * noise());
  });
}

/** `family` with its spectrogram sizes divided by `by` (the weights do not depend on them). */
function smallerSpectra(family: FamilySpec, by: number): FamilySpec {
  return {
    ...family,
    subs: family.subs.map((sub) =>
      sub.input.kind === 'resolution' || sub.input.kind === 'stft'
        ? { ...sub, input: { ...sub.input, nFft: sub.input.nFft / by, hop: Math.round(sub.input.hop / by), win: sub.input.win / by } }
        : sub,
    ),
  };
}

const refs = Array.from({ length: BATCH }, (_, i) => signal(i + 1, 0));
const syns = Array.from({ length: BATCH }, (_, i) => signal(i + 1, 1));

function expectClose(got: WindowScores, want: WindowScores, what: string): void {
  for (const field of ['fmLayers', 'real', 'fake', 'gen', 'native'] as const) {
    const [gotValues, wantValues] = [got[field] ?? new Float32Array(0), want[field] ?? new Float32Array(0)];
    expect(gotValues.length).toBe(wantValues.length);
    wantValues.forEach((expected, i) => {
      const actual = gotValues[i]!;
      const relative = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
      if (!(relative <= TOLERANCE)) {
        throw new Error(`${what} ${field}[${i}]: webgpu ${actual}, cpu ${expected} (relative difference ${relative.toExponential(2)})`);
      }
    });
  }
}

async function run(engine: ScoringEngine, mode: GraphMode, windows: number[]): Promise<WindowScores[]> {
  return engine.run(mode === 'pair' ? windows.map((i) => refs[i]!) : null, windows.map((i) => syns[i]!));
}

describeWebGpu('WebGPU matches CPU', () => {
  describe.each(familyNames())('%s', (family) => {
    test.each<GraphMode>(['pair', 'syn-only'])('%s mode, batches of 1 and 2', async (mode) => {
      const model = resolveModel(smallerSpectra(tinyFamily(family), 4), tinyWeights(family));
      // The families' own loss terms (--loss native) where they need any: compared too.
      const native = mode === 'pair' && nativeTermsOf(model.family) !== null;
      const cpu = await openEngine(model, mode, { device: 'cpu', native });
      const gpu = await openEngine(model, mode, { device: SOFTWARE_GPU, native });
      try {
        expect(gpu.provider).toBe('webgpu');
        expect(gpu.adapter?.software).toBe('lavapipe');
        expect(gpu.layerCounts).toEqual(cpu.layerCounts);
        const want: WindowScores[] = [];
        for (let i = 0; i < BATCH; i++) want.push((await run(cpu, mode, [i]))[0]!);
        // The scores are finite and the windows differ, or agreement would prove little.
        for (const w of want) for (const v of [...w.fmLayers, ...w.gen]) expect(Number.isFinite(v) && v !== 0).toBe(true);
        expect(want[1]!.gen[0]).not.toBe(want[0]!.gen[0]);
        if (mode === 'pair') expect(want[0]!.fmLayers.length).toBe(model.subs.reduce((n, s) => n + featureCount(s), 0));
        else expect(want[0]!.fmLayers.length).toBe(0);
        if (native) expect(want[0]!.native!.length).toBeGreaterThan(0);

        expectClose((await run(gpu, mode, [0]))[0]!, want[0]!, `${family} ${mode} batch 1`);
        const batch = await run(gpu, mode, [0, 1]);
        expect(batch).toHaveLength(BATCH);
        batch.forEach((got, i) => expectClose(got, want[i]!, `${family} ${mode} batch ${BATCH}, window ${i}`));
      } finally {
        await cpu.dispose();
        await gpu.dispose();
      }
    }, 180_000);
  });
});

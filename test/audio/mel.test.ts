import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputFileError } from '../../src/errors.js';
import { openAudio } from '../../src/audio/index.js';
import { MEL_MIN_SAMPLES, logMelSpectrogram, melFrameCount, melL1, melL1Streamed } from '../../src/audio/mel.js';
import { hzToMel, melFilterbank, melToHz } from '../../src/audio/mel-filters.js';

// The shared golden fixtures live beside the repository: <repo>/../shared/golden.
const GOLDEN = fileURLToPath(new URL('../../../shared/golden/', import.meta.url));

async function load32k(path: string): Promise<Float32Array> {
  const r = await openAudio(path);
  try {
    expect(r.info.sampleRate).toBe(32000);
    return await r.read(32000, 0, r.info.frames);
  } finally {
    await r.close();
  }
}

describe.each([
  ['gpt-sovits-untrained-full'],
  ['sovits5-untrained-full'],
])('golden mel_l1: %s', (name) => {
  const expected = JSON.parse(readFileSync(join(GOLDEN, name, 'expected.json'), 'utf8')) as { mel_l1_gptsovits: number };

  it('matches mel_l1_gptsovits within 1e-4 relative', async () => {
    const ref = await load32k(join(GOLDEN, name, 'ref.wav'));
    const syn = await load32k(join(GOLDEN, name, 'syn.wav'));
    const got = melL1(ref, syn);
    expect(Math.abs(got - expected.mel_l1_gptsovits) / expected.mel_l1_gptsovits).toBeLessThan(1e-4);
  });

  it('gives the same value streamed from the files in small steps', async () => {
    const refR = await openAudio(join(GOLDEN, name, 'ref.wav'));
    const synR = await openAudio(join(GOLDEN, name, 'syn.wav'));
    const n = refR.lengthAt(32000);
    const whole = melL1(await refR.read(32000, 0, n), await synR.read(32000, 0, n));
    const streamed = await melL1Streamed((s, l) => refR.read(32000, s, l), (s, l) => synR.read(32000, s, l), n, 7);
    expect(Math.abs(streamed - whole)).toBeLessThan(1e-12);
    await refR.close();
    await synR.close();
  });
});

describe('log-mel', () => {
  it('has floor(n / 640) frames of 128 bands and needs more than 704 samples', () => {
    expect(MEL_MIN_SAMPLES).toBe(705);
    expect(melFrameCount(32037)).toBe(50);
    expect(melFrameCount(705)).toBe(1);
    const m = logMelSpectrogram(new Float32Array(1280).fill(0.1));
    expect(m.frames).toBe(2);
    expect(m.bins).toBe(128);
    expect(m.data.length).toBe(256);
    expect(() => logMelSpectrogram(new Float32Array(704))).toThrow(InputFileError);
    expect(() => logMelSpectrogram(new Float32Array(704))).toThrow('needs at least 705');
    expect(() => melL1(new Float32Array(1000), new Float32Array(1001))).toThrow(RangeError);
  });

  it('silence clamps to log(1e-5) except where sqrt(1e-8) lifts it', () => {
    const m = logMelSpectrogram(new Float32Array(3200));
    // Each mel band of silence = 1e-4 * sum(weights) (magnitude floor sqrt(1e-8) = 1e-4).
    for (const v of m.data) expect(v).toBeGreaterThanOrEqual(Math.log(1e-5) - 1e-12);
    expect(melL1(new Float32Array(3200), new Float32Array(3200))).toBe(0);
  });

  it('puts a tone in the band whose centre is nearest', () => {
    const f = 3000;
    const x = Float32Array.from({ length: 32000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * f * i) / 32000));
    const m = logMelSpectrogram(x);
    const frame = m.data.subarray(20 * 128, 21 * 128);
    let best = 0;
    for (let b = 1; b < 128; b++) if (frame[b]! > frame[best]!) best = b;
    const centres = Array.from({ length: 130 }, (_, i) => melToHz((i * hzToMel(16000)) / 129));
    expect(Math.abs(centres[best + 1]! - f)).toBeLessThan(centres[best + 2]! - centres[best]!);
  });

  it('Slaney mel scale and filterbank match librosa values', () => {
    // librosa.hz_to_mel(1000) = 15, hz_to_mel(16000) = 15 + log(16) / (log(6.4) / 27).
    expect(hzToMel(1000)).toBeCloseTo(15, 12);
    expect(hzToMel(500)).toBeCloseTo(7.5, 12);
    expect(hzToMel(16000)).toBeCloseTo(15 + Math.log(16) / (Math.log(6.4) / 27), 12);
    expect(melToHz(hzToMel(4321))).toBeCloseTo(4321, 9);
    const bands = melFilterbank(32000, 2048, 128, 0, 16000);
    expect(bands.length).toBe(128);
    // librosa.filters.mel(sr=32000, n_fft=2048, n_mels=128)[0, :4] = [0, 0.01911171, 0.03172369, 0.01261198].
    expect(bands[0]!.start).toBe(1);
    expect(bands[0]!.weights[0]).toBeCloseTo(0.01911171, 7);
    expect(bands[0]!.weights[1]).toBeCloseTo(0.03172369, 7);
    expect(bands[0]!.weights[2]).toBeCloseTo(0.01261198, 7);
    // [127, -5:-1] = [2.9342683e-04, 2.2007011e-04, 1.4671341e-04, 7.3356707e-05]; last bin 0.
    const last = bands[127]!;
    expect(last.start + last.weights.length).toBe(1024);
    expect(last.weights[last.weights.length - 1]).toBeCloseTo(7.3356707e-5, 11);
    expect(last.weights[last.weights.length - 4]).toBeCloseTo(2.9342683e-4, 10);
    // librosa's matrix has 2016 non-zero weights.
    expect(bands.reduce((s, b) => s + b.weights.length, 0)).toBe(2016);
  });
});

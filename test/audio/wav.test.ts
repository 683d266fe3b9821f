import { join } from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { openAudio, openAudioBuffer, resample } from '../../src/audio/index.js';
import { ALAW_TABLE, MULAW_TABLE, alawToLinear, mulawToLinear } from '../../src/audio/g711.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { expectedMono, g711Reference, materialize, mulberry32, wavCorpus, writeWav, type WavSampleFormat } from '../helpers/wav-corpus.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('wav');
});
afterAll(() => removeDir(dir));

/** Exact equality of float arrays (=== per element, so +0 and -0 count as equal). */
function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `length ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `sample ${i}: ${a[i]} != ${b[i]}`;
  return undefined;
}

async function decodeAll(path: string) {
  const reader = await openAudio(path);
  try {
    const samples = await reader.read(reader.info.sampleRate, 0, reader.info.frames);
    return { info: reader.info, samples };
  } finally {
    await reader.close();
  }
}

describe('awkward-WAV corpus', () => {
  const cases = wavCorpus();
  it('covers the required cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.expect === 'decode' ? 'decodes' : `fails with "${c.messageIncludes}"`}`, async () => {
      const path = await materialize(c, dir);
      if (c.expect === 'error') {
        const error = await decodeAll(path).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InputFileError);
        expect((error as Error).message).toContain(c.messageIncludes!);
        expect((error as Error).message).not.toContain(dir); // the pipeline adds the path
        return;
      }
      const { info, samples } = await decodeAll(path);
      expect(info.sampleRate).toBe(c.sampleRate);
      expect(info.channels).toBe(c.channels);
      expect(info.codec).toBe(c.codec);
      expect(firstDifference(samples, c.samples!)).toBeUndefined();
      if (c.warningIncludes) expect(info.warnings.join('\n')).toContain(c.warningIncludes);
      else expect(info.warnings.filter((w) => !w.startsWith('block align'))).toEqual([]);
    });
  }
});

describe('sample conversion', () => {
  const bitsOf: Record<string, number> = { pcm8: 8, pcm16: 16, pcm24: 24, pcm32: 32 };

  it.each(['pcm8', 'pcm16', 'pcm24', 'pcm32'] as const)('%s decodes bit-exactly to fround(int / 2^(n-1)) for both signs', async (format) => {
    const bits = bitsOf[format]!;
    const full = 2 ** (bits - 1);
    const rnd = mulberry32(bits);
    const values = [-full, -full + 1, -1, 0, 1, full - 2, full - 1];
    for (let i = 0; i < 20000; i++) values.push(Math.floor(rnd() * 2 * full) - full);
    const reader = await openAudioBuffer(writeWav({ format, samples: values }));
    const got = await reader.read(16000, 0, values.length);
    const want = Float32Array.from(values, (v) => Math.fround(v / full));
    expect(firstDifference(got, want)).toBeUndefined();
    // The node-wav defects being corrected: positive full scale is just below 1, never 1 or more.
    expect(got[6]).toBe(Math.fround((full - 1) / full));
    expect(got[0]).toBe(-1);
  });

  it.each(['float32', 'float64'] as const)('%s decodes to fround(value)', async (format) => {
    const rnd = mulberry32(3);
    const values = [0, -0, 1, -1, 1e-30, 3.4e38, -3.4e38, 1e-45];
    for (let i = 0; i < 5000; i++) values.push((rnd() * 2 - 1) * 4);
    const reader = await openAudioBuffer(writeWav({ format, samples: values }));
    const got = await reader.read(16000, 0, values.length);
    expect(firstDifference(got, Float32Array.from(values, (v) => Math.fround(format === 'float32' ? Math.fround(v) : v)))).toBeUndefined();
  });

  it('G.711 tables match known ITU-T values', () => {
    // Spot values of the standard tables (as 16-bit linear), e.g. libsndfile's alaw/ulaw decode tables.
    const alaw: Array<[number, number]> = [[0x00, -5504], [0x80, 5504], [0x55, -8], [0xd5, 8], [0x2a, -32256], [0xaa, 32256], [0x01, -5248], [0xd4, 24]];
    const mulaw: Array<[number, number]> = [[0x00, -32124], [0x80, 32124], [0x01, -31100], [0x7f, 0], [0xff, 0], [0x7e, -8], [0xfe, 8], [0x70, -120]];
    for (const [code, v] of alaw) expect(alawToLinear(code)).toBe(v);
    for (const [code, v] of mulaw) expect(mulawToLinear(code)).toBe(v);
    for (let c = 0; c < 256; c++) {
      expect(alawToLinear(c)).toBe(g711Reference('alaw', c));
      expect(mulawToLinear(c)).toBe(g711Reference('mulaw', c));
      expect(ALAW_TABLE[c]).toBe(alawToLinear(c) / 32768);
      expect(MULAW_TABLE[c]).toBe(mulawToLinear(c) / 32768);
    }
    // Odd symmetry of both laws.
    for (let c = 0; c < 128; c++) {
      expect(alawToLinear(c)).toBe(-alawToLinear(c | 0x80));
      expect(mulawToLinear(c)).toBe(0 - mulawToLinear(c | 0x80));
    }
  });

  it('mixes any number of channels to mono by averaging', async () => {
    const frames = 50;
    for (const channels of [2, 3, 6, 8]) {
      const samples: number[] = [];
      for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) samples.push((i * 37 + c * 1000) % 20000 - 10000);
      const reader = await openAudioBuffer(writeWav({ format: 'pcm16', channels, samples }));
      expect(reader.info.channels).toBe(channels);
      const got = await reader.read(16000, 0, frames);
      expect(firstDifference(got, expectedMono('pcm16', channels, samples))).toBeUndefined();
    }
  });
});

describe('random access', () => {
  it.each([
    ['pcm16', 1, 16000],
    ['pcm24', 2, 44100],
    ['float32', 6, 48000],
    ['mulaw', 2, 8000],
  ] as Array<[WavSampleFormat, number, number]>)('%s x%i @%i: chunked reads equal one whole read, native and resampled', async (format, channels, rate) => {
    const rnd = mulberry32(channels * 7 + rate);
    const frames = 20011;
    const samples = Array.from({ length: frames * channels }, () => {
      const x = rnd() * 2 - 1;
      if (format === 'float32') return x * 0.9;
      if (format === 'mulaw') return Math.floor(rnd() * 256);
      const full = format === 'pcm16' ? 32768 : 8388608;
      return Math.floor(x * full);
    });
    const reader = await openAudioBuffer(writeWav({ format, channels, sampleRate: rate, samples }));
    for (const target of [rate, 32000, 22050]) {
      const total = reader.lengthAt(target);
      const whole = await reader.read(target, 0, total);
      const pieces = new Float32Array(total);
      let at = 0;
      const step = mulberry32(target);
      while (at < total) {
        const n = Math.min(total - at, 1 + Math.floor(step() * 3000));
        pieces.set(await reader.read(target, at, n), at);
        at += n;
      }
      expect(firstDifference(pieces, whole)).toBeUndefined();
    }
    await reader.close();
  });

  it('stereo 44.1 kHz file mixes and resamples to 32 kHz like resample() of the mono mix', async () => {
    const frames = 44100;
    const samples: number[] = [];
    for (let i = 0; i < frames; i++) {
      samples.push(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 44100)));
      samples.push(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 44100)));
    }
    const path = join(dir, 'stereo44.wav');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, writeWav({ format: 'pcm16', channels: 2, sampleRate: 44100, samples }));
    const reader = await openAudio(path);
    expect(reader.lengthAt(32000)).toBe(32000);
    const got = await reader.read(32000, 0, 32000);
    const mono = expectedMono('pcm16', 2, samples);
    expect(firstDifference(got, resample(mono, 44100, 32000))).toBeUndefined();
    // And it is the two tones, averaged: compare against the analytic signal away from the edges.
    let maxErr = 0;
    for (let n = 1000; n < 31000; n++) {
      const t = n / 32000;
      const want = (12000 * Math.sin(2 * Math.PI * 440 * t) + 8000 * Math.sin(2 * Math.PI * 1000 * t)) / 2 / 32768;
      maxErr = Math.max(maxErr, Math.abs(got[n]! - want));
    }
    expect(maxErr).toBeLessThan(1e-4);
    await reader.close();
  });

  it('rejects reads outside the file and reads after close', async () => {
    const reader = await openAudioBuffer(writeWav({ format: 'pcm16', samples: [1, 2, 3, 4] }));
    await expect(reader.read(16000, 2, 3)).rejects.toThrow(RangeError);
    await expect(reader.read(16000, -1, 1)).rejects.toThrow(RangeError);
    await expect(reader.read(32000, 0, reader.lengthAt(32000) + 1)).rejects.toThrow(RangeError);
    expect((await reader.read(16000, 4, 0)).length).toBe(0);
    await reader.close();
    await expect(reader.read(16000, 0, 1)).rejects.toThrow('closed');
  });

  it('reads only the bytes it needs', async () => {
    const frames = 200000;
    const bytes = writeWav({ format: 'pcm16', samples: new Array(frames).fill(100) });
    const { bufferSource } = await import('../../src/audio/source.js');
    const { WavFile } = await import('../../src/audio/wav.js');
    const src = bufferSource(bytes);
    let read = 0;
    const counting = { ...src, size: src.size, read: (p: number, n: number) => ((read += n), src.read(p, n)) };
    const wav = await WavFile.open(counting);
    const headerBytes = read;
    expect(headerBytes).toBeLessThanOrEqual(4096 + 64);
    read = 0;
    await wav.readFrames(150000, 1000);
    expect(read).toBe(2000);
  });
});

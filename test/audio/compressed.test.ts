/**
 * FLAC, MP3, Ogg Vorbis and Ogg Opus through openAudio: detection by content, exact FLAC,
 * delay-compensated lossy codecs, reads in any order, damaged and cut files. Fixtures are
 * encoded from generated speech at test time (test/helpers/encoders.ts).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { openAudio, openAudioBuffer, type AudioReader } from '../../src/audio/index.js';
import { ENCODINGS, EXTENSION, FORMAT, encode, encodersAvailable, pcm16Wav, writeSpeechWav } from '../helpers/encoders.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const ready = encodersAvailable();
const suite = ready ? describe : describe.skip;

let dir: string;
const at = (name: string) => path.join(dir, name);

async function readAll(file: string | Buffer, rate?: number): Promise<{ reader: AudioReader; samples: Float32Array }> {
  const reader = typeof file === 'string' ? await openAudio(file) : await openAudioBuffer(file);
  const r = rate ?? reader.info.sampleRate;
  const samples = await reader.read(r, 0, reader.lengthAt(r));
  await reader.close();
  return { reader, samples };
}

/**
 * Where two sample arrays first differ (bit for bit), or 'same'. Jest's toEqual walks typed
 * arrays element by element and takes seconds on a few hundred thousand samples.
 */
function firstDifference(a: Float32Array, b: Float32Array): number | 'same' {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return 'same';
  let i = 0;
  while (Object.is(a[i], b[i])) i++;
  return i;
}

/** The lag (in samples, within ±max) at which `x` best matches `ref`, and the SNR of `x` against `ref` at lag 0. */
function compare(x: Float32Array, ref: Float32Array, max = 1500): { lag: number; snrDb: number } {
  const n = Math.min(x.length, ref.length);
  let best = -Infinity;
  let lag = 0;
  for (let l = -max; l <= max; l++) {
    let c = 0;
    for (let i = max; i < n - max; i += 3) c += x[i + l]! * ref[i]!;
    if (c > best) {
      best = c;
      lag = l;
    }
  }
  let err = 0;
  let sig = 0;
  for (let i = 0; i < n; i++) {
    err += (x[i]! - ref[i]!) ** 2;
    sig += ref[i]! ** 2;
  }
  return { lag, snrDb: 10 * Math.log10(sig / err) };
}

beforeAll(() => {
  if (!ready) return;
  dir = tempDir('compressed');
  writeSpeechWav(at('s44.wav'), { seconds: 2.5, sampleRate: 44100, channels: 2, seed: 3 });
  writeSpeechWav(at('m16.wav'), { seconds: 12, sampleRate: 16000, channels: 1, seed: 5 });
  for (const e of ENCODINGS) {
    encode(e, at('s44.wav'), at(`s44.${EXTENSION[e]}`));
    encode(e, at('m16.wav'), at(`m16.${EXTENSION[e]}`), e === 'mp3' ? ['-b', '64'] : []);
  }
}, 120_000);

afterAll(() => removeDir(dir));

suite('compressed formats', () => {
  it.each(ENCODINGS)('%s is detected from its content, whatever the name says', async (e) => {
    copyFileSync(at(`s44.${EXTENSION[e]}`), at(`renamed-${e}.wav`));
    const reader = await openAudio(at(`renamed-${e}.wav`));
    expect(reader.info).toMatchObject({ format: FORMAT[e], channels: 2, sampleRate: e === 'opus' ? 48000 : 44100, warnings: [] });
    await reader.close();
  });

  it('FLAC decodes bit-exactly: 8, 16 and 24-bit samples equal the WAV they were made from', async () => {
    const cases: [string, string[]][] = [
      ['s44.wav', []],
      ['s24.wav', ['-r', '48000', '-b', '24']],
      ['m8.wav', ['-r', '16000', '-b', '8', '-c', '1']],
    ];
    for (const [name, soxArgs] of cases) {
      if (soxArgs.length > 0) execFileSync('sox', [at('s44.wav'), ...soxArgs, at(name)]);
      encode('flac', at(name), at(`${name}.flac`));
      const wav = await readAll(at(name));
      const flac = await readAll(at(`${name}.flac`));
      expect(flac.reader.info).toMatchObject({ format: 'flac', codec: 'flac', sampleRate: wav.reader.info.sampleRate, channels: wav.reader.info.channels, frames: wav.reader.info.frames });
      expect(firstDifference(flac.samples, wav.samples)).toBe('same');
      expect(firstDifference((await readAll(at(`${name}.flac`), 32000)).samples, (await readAll(at(name), 32000)).samples)).toBe('same');
    }
  });

  it.each([
    ['mp3', 20],
    ['vorbis', 25],
    ['opus', 15],
  ] as const)('%s lines up with its source sample for sample (delay and padding removed)', async (e, minSnrDb) => {
    const file = at(`s44.${EXTENSION[e]}`);
    const rate = e === 'opus' ? 48000 : 44100;
    const wav = await readAll(at('s44.wav'), rate);
    const coded = await readAll(file);
    expect(coded.reader.info.frames).toBe(wav.samples.length);
    const { lag, snrDb } = compare(coded.samples, wav.samples);
    expect(lag).toBe(0);
    expect(snrDb).toBeGreaterThan(minSnrDb);
  });

  it.each(ENCODINGS)('%s: reads in any order give exactly the samples of one forward read', async (e) => {
    const file = at(`m16.${EXTENSION[e]}`);
    for (const rate of [32000, 0]) {
      const { reader, samples } = await readAll(file, rate || undefined);
      const r = rate || reader.info.sampleRate;
      const again = await openAudio(file);
      const n = again.lengthAt(r);
      const step = 12_345;
      const starts = Array.from({ length: Math.ceil(n / step) }, (_, k) => k * step);
      // Backwards: every read but the first needs a restart.
      for (const s of starts.reverse()) {
        const len = Math.min(step + 777, n - s);
        const got = await again.read(r, s, len);
        expect(firstDifference(got, samples.subarray(s, s + len))).toBe('same');
      }
      await expect(again.read(r, n - 10, 11)).rejects.toThrow(RangeError);
      await again.close();
    }
  });

  it('an MP3 without its Xing/LAME frame is measured by a scan; only the decoder delay is then removed', async () => {
    const bytes = readFileSync(at('s44.mp3'));
    const tagged = await readAll(bytes);
    // LAME's first frame is the Info frame: 320 kbit/s at 44.1 kHz, unpadded, 1044 bytes.
    const bare = bytes.subarray(1044);
    const untagged = await readAll(bare);
    const audioFrames = Math.round(bare.length / 1044.9);
    expect(untagged.reader.info.frames).toBe(audioFrames * 1152 - 529);
    // Same decode, 576 samples (LAME's encoder delay) earlier.
    expect(firstDifference(untagged.samples.subarray(576, 576 + tagged.samples.length), tagged.samples)).toBe('same');
  });

  it('tags and junk around the audio are skipped: ID3v2 in front, ID3v1 or other bytes after', async () => {
    const id3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x01\x00', 'latin1'), Buffer.alloc(128, 0x41)]);
    const id3v1 = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125, 0x20)]);
    for (const e of ENCODINGS) {
      const bytes = readFileSync(at(`s44.${EXTENSION[e]}`));
      const plain = await readAll(bytes);
      const variants = e === 'mp3' || e === 'flac' ? [Buffer.concat([id3, bytes, id3v1]), Buffer.concat([bytes, id3v1])] : [Buffer.concat([bytes, id3v1])];
      for (const v of variants) {
        const { reader, samples } = await readAll(v);
        expect(firstDifference(samples, plain.samples)).toBe('same');
        if (e === 'vorbis' || e === 'opus') expect(reader.info.warnings.join()).toContain('ignored 128 bytes after the last Ogg page');
      }
    }
  });

  it.each(ENCODINGS)('%s cut short: the whole part is read, with a warning', async (e) => {
    const bytes = readFileSync(at(`m16.${EXTENSION[e]}`));
    const full = await readAll(bytes);
    const cut = await readAll(bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    expect(cut.reader.info.warnings.join()).toMatch(/cut short/);
    const n = cut.samples.length;
    expect(n).toBeGreaterThan(full.samples.length * 0.6);
    expect(n).toBeLessThan(full.samples.length * 0.75);
    expect(firstDifference(cut.samples, full.samples.subarray(0, n))).toBe('same');
  });

  it('damaged, empty, cut and unsupported files are InputFileErrors that say what is wrong', async () => {
    const flac = readFileSync(at('s44.flac'));
    const ogg = readFileSync(at('s44.ogg'));
    const opus = readFileSync(at('s44.opus'));
    const mp3 = readFileSync(at('s44.mp3'));
    const flipped = (b: Buffer, offset: number) => {
      const c = Buffer.from(b);
      c[offset] = c[offset]! ^ 0x10;
      return c;
    };
    const twelveBit = Buffer.from(flac);
    twelveBit[8 + 12] = (twelveBit[8 + 12]! & 0xfe) | 0; // bits-per-sample - 1 = 11: 0b01011
    twelveBit[8 + 13] = (twelveBit[8 + 13]! & 0x0f) | 0xb0;
    execFileSync('sox', [at('s44.wav'), at('s44.aiff')]);
    encode('flac', at('s44.wav'), at('s44.oga'), ['--ogg']);
    const cases: [string, Buffer, string | RegExp][] = [
      ['empty', Buffer.alloc(0), 'empty file (0 bytes)'],
      ['FLAC marker only', flac.subarray(0, 4), 'header cut short: the file ends after 4 bytes, inside the FLAC metadata'],
      ['FLAC cut in STREAMINFO', flac.subarray(0, 20), 'header cut short: the file ends after 20 bytes, inside the FLAC STREAMINFO block'],
      ['FLAC with metadata only', flac.subarray(0, flac.indexOf(Buffer.from([0xff, 0xf8]), 42)), 'no FLAC audio frame found after the metadata'],
      ['12-bit FLAC', twelveBit, 'FLAC with 12-bit samples is not supported'],
      ['damaged FLAC frame', flipped(flac, Math.floor(flac.length / 2)), /^damaged FLAC frame at \d+\.\d\d s \(its checksum does not match\)$/],
      ['damaged Ogg page', flipped(ogg, Math.floor(ogg.length / 2)), /^damaged Ogg page at byte \d+ \(its checksum does not match\)$/],
      ['Ogg headers only', ogg.subarray(0, ogg.indexOf('OggS', ogg.indexOf('OggS', 4) + 4)), 'no audio packets after the headers'],
      ['Vorbis cut inside the headers', ogg.subarray(0, 100), 'header cut short: the vorbis headers are incomplete'],
      ['Opus cut inside the headers', opus.subarray(0, 60), 'header cut short: the opus headers are incomplete'],
      ['ID3 tag only', Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x10', 'latin1'), Buffer.alloc(16)]), 'an ID3 tag of 26 bytes and no audio after it'],
      ['MP3 of one cut frame', mp3.subarray(1044, 1044 + 300), 'no MPEG audio frames'],
      ['Ogg FLAC', readFileSync(at('s44.oga')), 'Ogg FLAC is not supported (tts-critic reads Ogg Vorbis and Ogg Opus)'],
      ['AIFF', readFileSync(at('s44.aiff')), 'AIFF is not supported (tts-critic reads WAV, FLAC, MP3, Ogg Vorbis and Ogg Opus); convert it to WAV or FLAC'],
      ['MP4', Buffer.concat([Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00', 'latin1'), Buffer.alloc(64)]), 'MP4/M4A audio (AAC or ALAC) is not supported'],
      ['text', Buffer.from('just some text, not audio'), 'not an audio file (starts with "just")'],
    ];
    for (const [name, bytes, message] of cases) {
      let error: unknown;
      try {
        await readAll(bytes);
      } catch (e) {
        error = e;
      }
      expect([name, error]).toEqual([name, expect.any(InputFileError)]);
      if (typeof message === 'string') expect([name, (error as Error).message]).toEqual([name, expect.stringContaining(message)]);
      else expect([name, (error as Error).message]).toEqual([name, expect.stringMatching(message)]);
    }
  });

  it('a FLAC whose STREAMINFO promises more samples than it holds is read with a warning', async () => {
    const flac = Buffer.from(readFileSync(at('s44.flac')));
    flac[8 + 13] = (flac[8 + 13]! & 0xf0) | 0x01; // total samples + 2^32
    const { reader, samples } = await readAll(flac);
    expect(samples.length).toBe(110250);
    expect(reader.info.warnings.join()).toContain('STREAMINFO declares 4295077546 samples but the frames hold 110250');
  });

  it('a WAV is still read by the WAV reader', async () => {
    const wav = pcm16Wav(Int16Array.from([0, 16384, -16384, 32767]), 8000, 1);
    writeFileSync(at('tiny.wav'), wav);
    const { reader, samples } = await readAll(at('tiny.wav'));
    expect(reader.info).toMatchObject({ format: 'wav', codec: 'pcm16' });
    expect(Array.from(samples)).toEqual([0, 0.5, -0.5, 32767 / 32768]);
  });
});

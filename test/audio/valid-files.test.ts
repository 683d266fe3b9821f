/**
 * Valid files that were once called damaged: FLAC with 65535-sample blocks (one decode call
 * returned more blocks than the cache keeps), 8-channel FLAC (a bug of the bundled wasm
 * libFLAC, worked around in flac.ts), WAV with an odd-sized chunk and no pad byte, and Ogg Opus
 * whose OpusHead spans several lacing segments (mapping family 255, 235+ channels). And
 * messages that say what is wrong: an Ogg granule position no stream reaches, random bytes
 * after an ADTS-like sync, a free-format MP3.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAudioBuffer, type AudioReader } from '../../src/audio/index.js';
import { InputFileError } from '../../src/errors.js';
import { encode, encodersAvailable, pcm16Wav, speechSamples } from '../helpers/encoders.js';
import { fixOggCrc, oggPages } from '../helpers/hostile-audio.js';
import { chunk, fmtBody, riff } from '../helpers/wav-corpus.js';

const encoders = encodersAvailable();
const withEncoders = encoders ? it : it.skip;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-valid-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads every sample at the file's own rate; returns the reader's facts. */
async function readAll(bytes: Uint8Array): Promise<AudioReader['info']> {
  const reader = await openAudioBuffer(bytes);
  try {
    const { sampleRate } = reader.info;
    const samples = await reader.read(sampleRate, 0, reader.lengthAt(sampleRate));
    expect(samples.every((v) => Number.isFinite(v))).toBe(true);
    return reader.info;
  } finally {
    await reader.close();
  }
}

async function openError(bytes: Uint8Array): Promise<string> {
  const error = await openAudioBuffer(bytes).then(
    async (r) => {
      await r.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputFileError);
  return (error as Error).message;
}

function speechWav(name: string, seconds: number, rate: number, channels: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, pcm16Wav(speechSamples(seconds, rate, channels, 3), rate, channels));
  return file;
}

withEncoders('reads FLAC made with `flac --lax -b 65535` (a decode chunk no longer evicts the block it must return)', async () => {
  // Silence compresses to a few bytes per frame: one decode call of 32 frames covered 2.1M
  // samples, 32 blocks of the cache's 24.
  const wav = path.join(dir, 'long-blocks.wav');
  execFileSync('sox', ['-D', '-n', '-r', '8000', '-c', '1', '-b', '16', wav, 'trim', '0', '250']);
  const flac = path.join(dir, 'long-blocks.flac');
  encode('flac', wav, flac, ['--lax', '-b', '65535']);
  const info = await readAll(readFileSync(flac));
  expect(info.frames).toBe(250 * 8000);
}, 30_000);

withEncoders('reads 8-channel FLAC (frames of two block sizes in one decoder trapped the wasm libFLAC)', async () => {
  for (const bits of [16, 24]) {
    const wav = path.join(dir, `eight-${bits}.wav`);
    execFileSync('sox', ['-n', '-r', '16000', '-c', '8', '-b', String(bits), wav, 'synth', '0.5', 'sine', '440']);
    const flac = path.join(dir, `eight-${bits}.flac`);
    encode('flac', wav, flac);
    const info = await readAll(readFileSync(flac));
    expect(info).toMatchObject({ channels: 8, frames: 8000 });
  }
}, 30_000);

it('reads a WAV whose odd-sized chunk has no pad byte, whatever the size of the data after it', async () => {
  const fmt = chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 8000, bits: 16 }));
  // "LIST" of 5 bytes without its pad byte, then "data": read one byte late, "ata" plus the
  // size's first byte looks like a chunk id whenever that byte is printable (37% of sizes).
  const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx', 'latin1')]);
  for (let frames = 1; frames <= 300; frames++) {
    const data = Buffer.alloc(2 * frames);
    for (let i = 0; i < frames; i++) data.writeInt16LE((i * 37) % 2000, 2 * i);
    const file = riff([fmt, list, chunk('data', data)]);
    const reader = await openAudioBuffer(file);
    expect(reader.info.frames).toBe(frames);
    expect(reader.info.warnings.join()).toMatch(/LIST chunk has an odd size and no pad byte/);
    await reader.close();
  }
});

withEncoders('reads Ogg Opus whose OpusHead is longer than one 255-byte lacing segment (240 channels)', async () => {
  const wav = path.join(dir, 'many.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '240', '-b', '16', wav, 'synth', '0.05', 'sine', '440']);
  const opus = path.join(dir, 'many.opus');
  // opusenc's own default bit rate for 240 channels (a lower one makes it downmix to mono).
  execFileSync('opusenc', ['--quiet', wav, opus]);
  const info = await readAll(readFileSync(opus));
  expect(info).toMatchObject({ format: 'ogg-opus', channels: 240 });
}, 30_000);

describe('messages', () => {
  withEncoders('an Ogg page with granule position 2^63 - 1 is not a checksum mismatch', async () => {
    const wav = speechWav('g.wav', 0.5, 16000, 1);
    const ogg = path.join(dir, 'g.ogg');
    encode('vorbis', wav, ogg);
    const b = readFileSync(ogg);
    const last = oggPages(b).at(-1)!;
    b.writeBigInt64LE(2n ** 63n - 1n, last.offset + 6);
    fixOggCrc(b, last);
    const message = await openError(b);
    expect(message).toMatch(new RegExp(`Ogg page at byte ${last.offset} has granule position 9223372036854775807, beyond any real stream`));
    expect(message).not.toMatch(/checksum/);
  });

  it('random bytes after a 0xFFF sync are not called AAC (ADTS)', async () => {
    let seed = 7;
    const random = Buffer.from(Array.from({ length: 3000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 23));
    const message = await openError(Buffer.concat([Buffer.from([0xff, 0xf1]), random]));
    expect(message).not.toMatch(/AAC/);
    expect(message).toMatch(/^not an audio file/);
    // A real ADTS stream (two frames whose lengths chain) is still named.
    const frame = Buffer.alloc(20);
    frame.set([0xff, 0xf1, 0x50, 0x80, (20 >> 3) & 0xff, ((20 & 7) << 5) | 0x1f, 0xfc]);
    expect(await openError(Buffer.concat([frame, frame, frame]))).toMatch(/^AAC \(ADTS\) is not supported/);
  });

  withEncoders('a free-format MP3 is named, not "not an audio file"', async () => {
    const wav = speechWav('ff.wav', 0.5, 44100, 1);
    const mp3 = path.join(dir, 'ff.mp3');
    execFileSync('lame', ['--quiet', '--freeformat', '-b', '500', wav, mp3]);
    expect(await openError(readFileSync(mp3))).toMatch(/^free-format MP3 \(bitrate index 0, no frame length in its headers\) is not supported/);
  });
});

/**
 * A small file must not buy hours of CPU (src/audio/limits.ts, pipeline/pair-audio.ts): rates
 * outside 1 kHz..1.536 MHz are refused for every format, as are files decoding to more than
 * --max-duration or to more samples per byte than any codec makes; a file that decodes to
 * minutes but passes those limits, paired with a 1.5 s partner, costs what the comparison
 * needs, not what the file declares. Declared durations beyond the data lose to the data.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAudioBuffer, MAX_FRAMES_PER_BYTE } from '../../src/audio/index.js';
import { InputFileError } from '../../src/errors.js';
import { PairAudio } from '../../src/pipeline/pair-audio.js';
import { constantFlac, fixOggCrc, oggPages } from '../helpers/hostile-audio.js';
import { encode, encodersAvailable, pcm16Wav, speechSamples } from '../helpers/encoders.js';
import { writeFileSync } from 'node:fs';
import { runMain } from '../helpers/cli.js';
import { parseJsonl, removeDir, tempDir, writeTinyCheckpoint, writeTone } from '../helpers/e2e.js';

const encoders = encodersAvailable();
const withEncoders = encoders ? it : it.skip;

async function openError(bytes: Uint8Array, limits = {}): Promise<string> {
  const error = await openAudioBuffer(bytes, limits).then(
    async (r) => {
      await r.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputFileError);
  return (error as Error).message;
}

describe('sample rates', () => {
  it('refuses a FLAC STREAMINFO rate below 1 kHz (a 1 Hz header turns seconds into hours)', async () => {
    for (const rate of [1, 999]) {
      expect(await openError(constantFlac({ sampleRate: rate, blockSize: 4096, frames: 4 }))).toMatch(
        new RegExp(`FLAC STREAMINFO gives sample rate ${rate} Hz, outside 1000\\.\\.1536000 Hz`),
      );
    }
    const ok = await openAudioBuffer(constantFlac({ sampleRate: 1000, blockSize: 4096, frames: 4 }));
    expect(ok.info.sampleRate).toBe(1000);
    await ok.close();
  });

  withEncoders('refuses a Vorbis identification header rate of 1 Hz', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-hostile-'));
    try {
      const wav = path.join(dir, 'a.wav');
      writeFileSync(wav, pcm16Wav(speechSamples(0.3, 16000, 1, 1), 16000, 1));
      encode('vorbis', wav, path.join(dir, 'a.ogg'));
      const b = readFileSync(path.join(dir, 'a.ogg'));
      // The identification packet opens the first page: 27-byte header, 1 lacing value, then
      // packet type, "vorbis", version (4), channels (1), rate (4).
      const first = oggPages(b)[0]!;
      b.writeUInt32LE(1, first.offset + 28 + 12);
      fixOggCrc(b, first);
      expect(await openError(b)).toMatch(/Vorbis header gives sample rate 1 Hz, outside 1000\.\.1536000 Hz/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decode budget', () => {
  it('refuses constant-subframe bombs beyond MAX_FRAMES_PER_BYTE', async () => {
    // 65535-sample frames of 12 bytes: 5461 samples per byte.
    const bomb = constantFlac({ sampleRate: 8000, blockSize: 65535, frames: 200 });
    expect(bomb.length).toBeLessThan(3000);
    expect((200 * 65535) / bomb.length).toBeGreaterThan(MAX_FRAMES_PER_BYTE);
    expect(await openError(bomb)).toMatch(/samples per byte, at most 4096 allowed\): a decompression bomb or a damaged header/);
  });

  it('refuses files that decode to more than --max-duration', async () => {
    // 100 frames of 4096 samples at 1 kHz: 6.8 minutes from 1.4 KB (341 samples per byte).
    const long = constantFlac({ sampleRate: 1000, blockSize: 4096, frames: 100 });
    expect(await openError(long, { maxDuration: 60 })).toMatch(/decodes to 6\.8 min of audio, more than --max-duration \(1\.0 min\)/);
    const ok = await openAudioBuffer(long);
    expect(ok.info.frames).toBe(409600);
    await ok.close();
  });

  it('believes the frames, not a header that declares far more', async () => {
    const flac = constantFlac({ sampleRate: 16000, blockSize: 4096, frames: 3, totalSamples: 2 ** 36 - 1 });
    const reader = await openAudioBuffer(flac);
    expect(reader.info.frames).toBe(3 * 4096);
    expect(reader.info.warnings.join()).toMatch(/STREAMINFO declares 68719476735 samples but the frames hold 12288/);
    await reader.close();

    const wav = pcm16Wav(new Int16Array(100), 16000, 1);
    wav.writeUInt32LE(0xfffffff0, 40); // data size
    const w = await openAudioBuffer(wav);
    expect(w.info.frames).toBe(100);
    await w.close();
  });
});

describe('a pair with a file that decodes to minutes', () => {
  /**
   * Opens the pair as the pipeline does (offset search, mel_dtw) and returns the seconds taken.
   * The partner is 1.5 s of speech-like sound at 16 kHz; the model rate is 16 kHz.
   */
  async function openPair(dir: string, big: Buffer, bigIsSyn: boolean): Promise<{ seconds: number; audio: PairAudio }> {
    const partner = path.join(dir, 'partner.wav');
    const hostile = path.join(dir, 'hostile.flac');
    writeFileSync(partner, pcm16Wav(speechSamples(1.5, 16000, 1, 7), 16000, 1));
    writeFileSync(hostile, big);
    const spec = bigIsSyn ? { key: 'k', ref: partner, syn: hostile } : { key: 'k', ref: hostile, syn: partner };
    const started = performance.now();
    const audio = await PairAudio.open(spec, { sampleRate: 16000, minimumLength: 2048, align: 'offset', maxOffset: 8000 }, () => undefined);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, audio };
  }

  it.each([
    // 25 minutes at 44.1 kHz in 56 KB (1170 samples per byte, under the limit).
    ['44.1 kHz', constantFlac({ sampleRate: 44100, blockSize: 16384, frames: 4000, value: 1000 }), true],
    // 65 s at 1 MHz: every second read costs 1M samples to resample.
    ['1 MHz', constantFlac({ sampleRate: 1_000_000, blockSize: 16384, frames: 4000, value: 1000 }), false],
  ])('costs what the comparison needs (%s)', async (_name, big, bigIsSyn) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-hostile-'));
    try {
      const { seconds, audio } = await openPair(dir, big, bigIsSyn);
      try {
        // Reading the whole file would take minutes; the compared 1.5 s (plus the offset
        // search's reach) takes well under a second on an idle machine.
        expect(seconds).toBeLessThan(10);
        expect(audio.melDtw).toBeNull();
        expect(audio.timing!.melDtwProblem).toMatch(/^mel_dtw not computed: the files last .* more than 2 times apart/);
        expect(audio.length).toBe(24000);
      } finally {
        await audio.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the CLI', () => {
  it('turns --max-duration into error rows naming the file, and scores the rest', async () => {
    const dir = tempDir('max-duration');
    try {
      for (const [name, seconds] of [['short', 1], ['long', 3]] as const) {
        await writeTone(path.join(dir, 'ref', `${name}.wav`), { seconds, sampleRate: 32000, seed: 1 });
        await writeTone(path.join(dir, 'syn', `${name}.wav`), { seconds, sampleRate: 32000, seed: 2 });
      }
      await writeTinyCheckpoint(path.join(dir, 'tiny.pth'));
      const run = await runMain(['score', 'ref', 'syn', '--weights', 'tiny.pth', '--max-duration', '2', '--format', 'jsonl', '-q'], { cwd: dir });
      expect(run.code).toBe(3);
      const records = parseJsonl(run.stdout);
      expect(records.map((r) => [r.syn, r.status])).toEqual([
        ['syn/long.wav', 'error'],
        ['syn/short.wav', 'ok'],
      ]);
      expect(records[0]!.error).toBe('syn/long.wav: decodes to 3.0 s of audio, more than --max-duration (2.0 s)');
      const bad = await runMain(['score', 'ref', 'syn', '--weights', 'tiny.pth', '--max-duration', '0'], { cwd: dir });
      expect(bad.code).toBe(2);
    } finally {
      removeDir(dir);
    }
  }, 60_000);
});

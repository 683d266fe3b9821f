/**
 * Fuzzing of the compressed formats: seeded mutations of small FLAC, MP3, Ogg Vorbis and Ogg
 * Opus files (encoded at test time). Every case must end in finite decoded samples or an
 * InputFileError, never another exception, a hang, or a length that the bytes cannot hold.
 * Besides blind byte mutations, each format gets mutations that pass its checksums (Ogg pages
 * are re-checksummed) or hit its header fields (STREAMINFO, MPEG headers, the LAME tag), so the
 * decoders themselves meet damaged data.
 *
 * FUZZ_CASES=N runs N cases per format (default 40 per format in the normal suite).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { openAudioBuffer } from '../../src/audio/index.js';
import { crc32 } from '../../src/audio/crc.js';
import { mpegFrameAt } from '../../src/audio/mpeg-header.js';
import { ENCODINGS, EXTENSION, encode, encodersAvailable, writeSpeechWav, type Encoding } from '../helpers/encoders.js';
import { allFinite, byteMutation, checkResampledEnds } from '../helpers/fuzz.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { mulberry32 } from '../helpers/wav-corpus.js';

const CASES = Number(process.env.FUZZ_CASES ?? 40);
const PER_CASE_MS = 5000;
/** The most frames a byte of any of these formats can decode to (a 65535-sample FLAC frame of ~9 bytes). */
const FRAMES_PER_BYTE = 8192;

const ready = encodersAvailable();
const suite = ready ? describe : describe.skip;
let dir: string;
const bases = new Map<Encoding, Buffer[]>();

beforeAll(() => {
  if (!ready) return;
  dir = tempDir('compressed-fuzz');
  writeSpeechWav(path.join(dir, 'mono.wav'), { seconds: 0.6, sampleRate: 16000, channels: 1, seed: 7 });
  writeSpeechWav(path.join(dir, 'stereo.wav'), { seconds: 0.3, sampleRate: 44100, channels: 2, seed: 8 });
  for (const e of ENCODINGS) {
    const list: Buffer[] = [];
    for (const name of ['mono', 'stereo']) {
      const out = path.join(dir, `${name}.${EXTENSION[e]}`);
      // Small blocks and pages give more frames to damage in a short file.
      const extra = { flac: ['--blocksize=1152'], mp3: ['-b', '64'], vorbis: ['-q', '2'], opus: ['--bitrate', '24', '--max-delay', '100'] }[e];
      encode(e, path.join(dir, `${name}.wav`), out, extra);
      list.push(readFileSync(out));
    }
    bases.set(e, list);
  }
}, 120_000);

afterAll(() => removeDir(dir));

type Rnd = () => number;
const SPECIAL = [0, 1, 2, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x0f];

/** Recomputes the checksum of every Ogg page found in `b`, so that mutations get past it. */
function fixOggChecksums(b: Buffer): void {
  for (let p = b.indexOf('OggS'); p >= 0 && p + 27 <= b.length; p = b.indexOf('OggS', p + 4)) {
    const segments = b[p + 26]!;
    if (p + 27 + segments > b.length) return;
    let length = 27 + segments;
    for (let i = 0; i < segments; i++) length += b[p + 27 + i]!;
    if (p + length > b.length) return;
    b.writeUInt32LE(0, p + 22);
    b.writeUInt32LE(crc32(b, p, p + length), p + 22);
  }
}

/** Offsets of the MPEG frames of `b`, walked from its first frame. */
function mpegFrames(b: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p + 4 <= b.length; ) {
    const f = mpegFrameAt(b, p);
    if (!f) break;
    out.push(p);
    p += f.length;
  }
  return out;
}

/** A format-aware mutation (in place); returns what it did. */
function targeted(e: Encoding, b: Buffer, rnd: Rnd): string {
  const int = (n: number) => Math.floor(rnd() * n);
  const special = () => (rnd() < 0.5 ? SPECIAL[int(SPECIAL.length)]! : int(256));
  switch (e) {
    case 'flac': {
      // STREAMINFO (bytes 8..41) fields, or a frame header byte.
      if (rnd() < 0.6) {
        const at = 8 + int(18);
        b[at] = special();
        return `streaminfo[${at - 8}] = ${b[at]}`;
      }
      const syncs: number[] = [];
      for (let i = b.indexOf(0xff, 42); i >= 0 && i + 1 < b.length; i = b.indexOf(0xff, i + 1)) if ((b[i + 1]! & 0xfe) === 0xf8) syncs.push(i);
      if (syncs.length === 0) return 'no frame';
      const at = syncs[int(syncs.length)]! + 1 + int(6);
      if (at < b.length) b[at] = special();
      return `frame header byte at ${at}`;
    }
    case 'mp3': {
      const frames = mpegFrames(b);
      if (frames.length === 0) return 'no frame';
      if (rnd() < 0.3) {
        // The Info frame's fields: frame count, LAME delay/padding (LAME writes them at fixed places).
        const at = frames[0]! + 36 + [8, 9, 10, 11, 141, 142, 143][int(7)]!;
        if (at < b.length) b[at] = special();
        return `info tag byte at ${at}`;
      }
      const at = frames[int(frames.length)]! + 1 + int(3);
      if (at < b.length) b[at] = b[at]! ^ (1 << int(8));
      return `frame header bit at ${at}`;
    }
    default: {
      // An Ogg page field or body byte, then every checksum made right again.
      const pages: number[] = [];
      for (let p = b.indexOf('OggS'); p >= 0; p = b.indexOf('OggS', p + 4)) pages.push(p);
      const page = pages[int(pages.length)]!;
      const field = int(6);
      let what: string;
      if (field === 0) {
        b.writeUInt32LE(int(2 ** 32), page + 6 + 4 * int(2)); // granule position, either half
        what = 'granule';
      } else if (field === 1) {
        b[page + 5] = int(8); // flags
        what = 'flags';
      } else if (field === 2) {
        b.writeUInt32LE((b.readUInt32LE(page + 18) + (rnd() < 0.5 ? 1 : -1)) >>> 0, page + 18); // sequence
        what = 'sequence';
      } else if (field === 3 && page + 27 + b[page + 26]! <= b.length) {
        b[page + 27 + int(b[page + 26]! || 1)] = special(); // a lacing value
        what = 'lacing';
      } else {
        const at = page + 27 + int(200);
        if (at < b.length) b[at] = b[at]! ^ (1 << int(8)); // headers or packet data
        what = 'body';
      }
      fixOggChecksums(b);
      return `page at ${page}: ${what}`;
    }
  }
}

/** One mutation of `b`; returns the mutated bytes and a short description. */
function mutate(e: Encoding, b: Buffer, rnd: Rnd): [Buffer, string] {
  const kind = Math.floor(rnd() * 6);
  if (kind < 4) return byteMutation(kind as 0 | 1 | 2 | 3, b, rnd, { headerShare: 0.5, headerBytes: 300, flips: 8, deletion: 200 });
  const out = Buffer.from(b);
  return [out, targeted(e, out, rnd)];
}

suite('compressed-format fuzz', () => {
  it.each(ENCODINGS)(`%s: ${CASES} seeded mutations end in finite samples or an InputFileError`, async (e) => {
    const sources = bases.get(e)!;
    for (const b of sources) await (await openAudioBuffer(b)).close();
    const tally = { decoded: 0, rejected: 0 };
    const messages = new Map<string, number>();
    const seed = { flac: 0xf1ac, mp3: 0x3e9, vorbis: 0x0995, opus: 0x0905 }[e];
    for (let c = 0; c < CASES; c++) {
      const rnd = mulberry32(seed * 65536 + c);
      let bytes = sources[c % sources.length]!;
      const steps: string[] = [];
      const count = 1 + Math.floor(rnd() * 2);
      for (let m = 0; m < count; m++) {
        const [next, what] = mutate(e, bytes, rnd);
        bytes = next;
        steps.push(what);
      }
      const label = `${e} case ${c} (${steps.join(', ')})`;
      const t0 = performance.now();
      try {
        const reader = await openAudioBuffer(bytes);
        const { frames, sampleRate } = reader.info;
        if (frames < 1 || frames > bytes.length * FRAMES_PER_BYTE) throw new Error(`${label}: ${frames} frames from ${bytes.length} bytes`);
        // The middle first (a restart), then everything from the start, then resampled ends.
        const mid = await reader.read(sampleRate, Math.floor(frames / 2), Math.ceil(frames / 2));
        const all = await reader.read(sampleRate, 0, frames);
        if (all.length !== frames || !allFinite(all) || !allFinite(mid)) throw new Error(`${label}: bad native read`);
        await checkResampledEnds(reader, label);
        await reader.close();
        tally.decoded++;
      } catch (error) {
        if (!(error instanceof InputFileError)) throw new Error(`${label}: ${String(error)}\n${(error as Error).stack ?? ''}`);
        const key = error.message.replace(/\d+(\.\d+)?/g, 'N');
        messages.set(key, (messages.get(key) ?? 0) + 1);
        tally.rejected++;
      }
      const ms = performance.now() - t0;
      if (ms > PER_CASE_MS) throw new Error(`${label}: took ${ms.toFixed(0)} ms`);
    }
    expect(tally.decoded + tally.rejected).toBe(CASES);
    // Both outcomes are exercised: the mutations are neither all harmless nor all fatal (Ogg,
    // with its checksums, rejects most; MP3, which resynchronises past damage, fewest).
    if (CASES >= 40) {
      expect(tally.decoded).toBeGreaterThan(0);
      expect(tally.rejected).toBeGreaterThan(0);
    }
    if (process.env.FUZZ_VERBOSE) console.log(e, tally, [...messages.entries()].sort((a, b) => b[1] - a[1]));
  }, 600_000);
});

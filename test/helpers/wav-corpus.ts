/**
 * Awkward WAV files, made by code (no stored binaries), for the audio tests and for other
 * modules' end-to-end tests. `wavCorpus()` lists named cases: bytes (or a function that
 * creates something on disk), whether openAudio + reading every sample must succeed or fail,
 * and what the error message or the decoded samples must be.
 *
 * `writeWav` is a small, correct WAV writer for every format the reader supports.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Looked up once: the per-sample loops below would otherwise look up the global `Math` for
// every sample, which costs 40x the math inside the test realm (see src/audio/mel.ts).
const { fround, imul, max, min, PI, round, sin } = Math;

export type WavSampleFormat = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

export interface WavSpec {
  format: WavSampleFormat;
  /** Default 16000. */
  sampleRate?: number;
  /** Default 1. */
  channels?: number;
  /**
   * Interleaved sample values as stored: signed integers for pcm8..pcm32 (pcm8 is written
   * as value + 128, the unsigned WAV convention), numbers for float32/float64, 8-bit codes
   * for alaw/mulaw.
   */
  samples: ArrayLike<number>;
  /** Write a WAVE_FORMAT_EXTENSIBLE fmt chunk (with this many valid bits; default the container's). */
  extensible?: boolean;
  validBits?: number;
  /** Extra chunks between fmt and data, and after data (each from `chunk()`). */
  before?: Buffer[];
  after?: Buffer[];
  /** Put the data chunk before the fmt chunk. */
  dataFirst?: boolean;
}

const FORMAT_TAG: Record<WavSampleFormat, number> = {
  pcm8: 1,
  pcm16: 1,
  pcm24: 1,
  pcm32: 1,
  float32: 3,
  float64: 3,
  alaw: 6,
  mulaw: 7,
};

export const BYTES_PER_SAMPLE: Record<WavSampleFormat, number> = {
  pcm8: 1,
  pcm16: 2,
  pcm24: 3,
  pcm32: 4,
  float32: 4,
  float64: 8,
  alaw: 1,
  mulaw: 1,
};

/** A RIFF chunk: id, size, body and the pad byte after an odd-sized body. */
export function chunk(id: string, body: Buffer | string, declaredSize?: number): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const head = Buffer.alloc(8);
  head.write(id.padEnd(4, ' ').slice(0, 4), 0, 'latin1');
  head.writeUInt32LE(declaredSize ?? b.length, 4);
  return Buffer.concat([head, b, Buffer.alloc(b.length % 2)]);
}

/** The raw data bytes for `samples` in `format`. */
export function encodeSamples(format: WavSampleFormat, samples: ArrayLike<number>): Buffer {
  const n = samples.length;
  const out = Buffer.alloc(n * BYTES_PER_SAMPLE[format]);
  for (let i = 0; i < n; i++) {
    const v = samples[i]!;
    switch (format) {
      case 'pcm8':
        out.writeUInt8(v + 128, i);
        break;
      case 'pcm16':
        out.writeInt16LE(v, 2 * i);
        break;
      case 'pcm24':
        out.writeIntLE(v, 3 * i, 3);
        break;
      case 'pcm32':
        out.writeInt32LE(v, 4 * i);
        break;
      case 'float32':
        out.writeFloatLE(v, 4 * i);
        break;
      case 'float64':
        out.writeDoubleLE(v, 8 * i);
        break;
      case 'alaw':
      case 'mulaw':
        out.writeUInt8(v, i);
        break;
    }
  }
  return out;
}

const GUID_SUFFIX = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** The body of a fmt chunk. */
export function fmtBody(opts: {
  tag: number;
  channels: number;
  sampleRate: number;
  bits: number;
  blockAlign?: number;
  extensible?: { validBits: number; subTag: number; channelMask?: number };
}): Buffer {
  const { tag, channels, sampleRate, bits } = opts;
  const blockAlign = opts.blockAlign ?? channels * Math.ceil(bits / 8);
  const ext = opts.extensible;
  const b = Buffer.alloc(ext ? 40 : tag === 1 ? 16 : 18);
  b.writeUInt16LE(ext ? 0xfffe : tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(sampleRate, 4);
  b.writeUInt32LE((sampleRate * blockAlign) >>> 0, 8);
  b.writeUInt16LE(blockAlign & 0xffff, 12);
  b.writeUInt16LE(bits, 14);
  if (ext) {
    b.writeUInt16LE(22, 16);
    b.writeUInt16LE(ext.validBits, 18);
    b.writeUInt32LE(ext.channelMask ?? 0, 20);
    b.writeUInt16LE(ext.subTag, 24);
    Buffer.from(GUID_SUFFIX).copy(b, 26);
  }
  return b;
}

/** RIFF/WAVE file from chunks (RIFF size computed unless given). */
export function riff(chunks: Buffer[], riffSize?: number, magic = 'RIFF'): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write(magic, 0, 'latin1');
  head.writeUInt32LE(riffSize ?? body.length, 4);
  return Buffer.concat([head, body]);
}

/** A complete, correct WAV file. */
export function writeWav(spec: WavSpec): Buffer {
  const channels = spec.channels ?? 1;
  const sampleRate = spec.sampleRate ?? 16000;
  const bits = BYTES_PER_SAMPLE[spec.format] * 8;
  const tag = FORMAT_TAG[spec.format];
  const fmt = chunk(
    'fmt ',
    fmtBody({ tag, channels, sampleRate, bits, extensible: spec.extensible ? { validBits: spec.validBits ?? bits, subTag: tag } : undefined }),
  );
  const frames = Math.floor(spec.samples.length / channels);
  // Non-PCM formats carry a fact chunk (sample frames per channel), as the spec asks.
  const fact = tag === 1 ? [] : [chunk('fact', (() => { const b = Buffer.alloc(4); b.writeUInt32LE(frames); return b; })())];
  const data = chunk('data', encodeSamples(spec.format, spec.samples));
  const middle = [...fact, ...(spec.before ?? [])];
  const ordered = spec.dataFirst ? [data, fmt, ...middle] : [fmt, ...middle, data];
  return riff([...ordered, ...(spec.after ?? [])]);
}

/** Independent G.711 reference values (ITU-T G.711 tables, as 16-bit linear). */
export function g711Reference(format: 'alaw' | 'mulaw', code: number): number {
  if (format === 'alaw') {
    const a = code ^ 0x55;
    const mant = a & 0x0f;
    const exp = (a >> 4) & 0x07;
    const mag = exp === 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (exp - 1);
    return a & 0x80 ? mag : -mag;
  }
  const u = ~code & 0xff;
  const mag = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84;
  return u & 0x80 ? 0 - mag : mag; // 0 - mag: +0 for the zero code, like the integer tables
}

/** The mono float samples a correct reader must produce: int / 2^(n-1), channels averaged. */
export function expectedMono(format: WavSampleFormat, channels: number, samples: ArrayLike<number>): Float32Array {
  const scale: Partial<Record<WavSampleFormat, number>> = { pcm8: 128, pcm16: 32768, pcm24: 8388608, pcm32: 2147483648 };
  const value = (v: number): number => {
    if (format === 'alaw' || format === 'mulaw') return fround(g711Reference(format, v) / 32768);
    const s = scale[format];
    return fround(s ? v / s : v);
  };
  const frames = Math.floor(samples.length / channels);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    if (channels === 1) {
      out[i] = value(samples[i]!);
      continue;
    }
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += value(samples[i * channels + c]!);
    out[i] = sum / channels;
  }
  return out;
}

/** Seeded PRNG (mulberry32), so corpus and fuzz cases are the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short test signal: a sine plus a little seeded noise, as integer codes for `bits`. */
export function testSignal(frames: number, channels: number, bits: number, seed = 1): Int32Array {
  const rnd = mulberry32(seed);
  const full = 2 ** (bits - 1);
  const out = new Int32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const v = 0.5 * sin((2 * PI * 440 * (c + 1) * i) / 16000) + 0.1 * (rnd() * 2 - 1);
      out[i * channels + c] = max(-full, min(full - 1, round(v * full)));
    }
  }
  return out;
}

/** Integer extremes of a bit depth, followed by a test signal. */
function withExtremes(bits: number, frames: number): number[] {
  const full = 2 ** (bits - 1);
  return [-full, full - 1, 0, -1, 1, -full + 1, full - 2, ...testSignal(frames, 1, bits, bits)];
}

export interface WavCase {
  name: string;
  /** File contents, or a function that creates the case under `dir` and returns its path. */
  bytes: Buffer | ((dir: string) => Promise<string>);
  expect: 'decode' | 'error';
  /** Error cases: a part of the message (which never contains the path). */
  messageIncludes?: string;
  /** Decode cases: what reading every sample at the file's rate must give. */
  samples?: Float32Array;
  sampleRate?: number;
  channels?: number;
  codec?: string;
  /** Decode cases: a warning that must be reported (absent: no particular one). */
  warningIncludes?: string;
}

/** Writes a case to disk (or runs its creator) and returns the path to open. */
export async function materialize(c: WavCase, dir: string): Promise<string> {
  if (typeof c.bytes === 'function') return c.bytes(dir);
  const path = join(dir, `${c.name}.wav`);
  await writeFile(path, c.bytes);
  return path;
}

function decodeCase(name: string, spec: WavSpec, extra: Partial<WavCase> = {}, bytes?: Buffer): WavCase {
  const channels = spec.channels ?? 1;
  return {
    name,
    bytes: bytes ?? writeWav(spec),
    expect: 'decode',
    samples: expectedMono(spec.format, channels, spec.samples),
    sampleRate: spec.sampleRate ?? 16000,
    channels,
    codec: spec.format,
    ...extra,
  };
}

function errorCase(name: string, bytes: WavCase['bytes'], messageIncludes: string): WavCase {
  return { name, bytes, expect: 'error', messageIncludes };
}

/** A data chunk's header without its body (for hand-built files). */
function dataHeader(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.write('data', 0, 'latin1');
  b.writeUInt32LE(size, 4);
  return b;
}

/** Every awkward case. Deterministic. */
export function wavCorpus(): WavCase[] {
  const pcm16 = Array.from(testSignal(1000, 1, 16, 7));
  const good16 = writeWav({ format: 'pcm16', samples: pcm16 });
  const fmt16 = chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }));
  const data16 = chunk('data', encodeSamples('pcm16', pcm16));
  const floatSig = Array.from(testSignal(400, 1, 16, 9), (v) => v / 32768);
  const listChunk = chunk('LIST', Buffer.concat([Buffer.from('INFOINAM', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('test\0\0', 'latin1')]));
  const junk = chunk('JUNK', Buffer.alloc(28));
  const id3 = chunk('id3 ', Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x05title', 'latin1')); // 15 bytes: odd, padded

  const cases: WavCase[] = [
    // --- not WAV at all ---
    errorCase('empty', Buffer.alloc(0), 'empty file (0 bytes)'),
    errorCase('text-renamed', Buffer.from('hello, this is a text file renamed to .wav\n'), 'not an audio file (starts with "hell"); tts-critic reads WAV, FLAC, MP3, Ogg Vorbis and Ogg Opus'),
    errorCase('mp3-renamed', Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x0a', 'latin1'), Buffer.alloc(64, 0xff)]), 'an ID3 tag (20 bytes) but no MP3 or FLAC audio after it'),
    errorCase('rifx-big-endian', Buffer.concat([Buffer.from('RIFX', 'latin1'), good16.subarray(4)]), 'big-endian WAV (RIFX) is not supported'),
    errorCase('riff-avi', Buffer.concat([good16.subarray(0, 8), Buffer.from('AVI ', 'latin1'), good16.subarray(12)]), 'RIFF file of type "AVI " is not WAVE audio'),

    // --- cut short ---
    errorCase('header-cut-in-riff', good16.subarray(0, 10), 'header cut short: the file ends after 10 bytes, inside the RIFF header'),
    errorCase('header-cut-after-riff', good16.subarray(0, 12), 'header cut short: the file ends after 12 bytes, before any chunk'),
    errorCase('header-cut-in-fmt', good16.subarray(0, 30), 'header cut short: the file ends after 30 bytes, inside the "fmt " chunk (which declares 16 bytes)'),
    errorCase('header-cut-in-data-header', good16.subarray(0, 40), 'header cut short: the file ends after 40 bytes, inside a chunk header'),
    decodeCase('data-cut-short', { format: 'pcm16', samples: pcm16.slice(0, 500) }, { warningIncludes: 'data chunk declares 2000 bytes but the file ends after 1001 of them; using the 500 whole frames present' }, good16.subarray(0, 44 + 1001)),
    errorCase('data-cut-to-one-byte', good16.subarray(0, 45), 'no audio samples (data chunk declares 2000 bytes but the file ends after 1 of them)'),

    // --- sizes that lie ---
    decodeCase('riff-size-too-big', { format: 'pcm16', samples: pcm16 }, {}, riff([fmt16, data16], 0x7fffffff)),
    decodeCase('riff-size-too-small', { format: 'pcm16', samples: pcm16 }, {}, riff([fmt16, data16], 4)),
    decodeCase('riff-size-zero', { format: 'pcm16', samples: pcm16 }, {}, riff([fmt16, data16], 0)),
    decodeCase('data-size-unset-streaming', { format: 'pcm16', samples: pcm16 }, { warningIncludes: 'data chunk size is unset (0xFFFFFFFF' }, riff([fmt16, dataHeader(0xffffffff), encodeSamples('pcm16', pcm16)], 0xffffffff)),
    decodeCase('data-size-zero-streaming', { format: 'pcm16', samples: pcm16 }, { warningIncludes: 'data chunk size is 0 but 2000 bytes follow' }, riff([fmt16, dataHeader(0), encodeSamples('pcm16', pcm16)], 0)),
    decodeCase('data-partial-frame', { format: 'pcm16', channels: 2, samples: pcm16 }, { warningIncludes: 'partial frame' },
      riff([chunk('fmt ', fmtBody({ tag: 1, channels: 2, sampleRate: 16000, bits: 16 })), chunk('data', Buffer.concat([encodeSamples('pcm16', pcm16), Buffer.from([1, 2])]))])),
    decodeCase('block-align-wrong', { format: 'pcm16', samples: pcm16 }, { warningIncludes: 'block align 7 does not match' },
      riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16, blockAlign: 7 })), data16])),
    decodeCase('rf64', { format: 'pcm16', samples: pcm16 }, {}, (() => {
      const ds64 = Buffer.alloc(28);
      ds64.writeBigUInt64LE(BigInt(4 + 36 + 8 + 2000 + 8), 0);
      ds64.writeBigUInt64LE(2000n, 8);
      ds64.writeBigUInt64LE(1000n, 16);
      return riff([chunk('ds64', ds64), fmt16, dataHeader(0xffffffff), encodeSamples('pcm16', pcm16), chunk('LIST', 'INFO')], 0xffffffff, 'RF64');
    })()),

    // --- chunk order and extra chunks ---
    decodeCase('data-before-fmt', { format: 'pcm16', samples: pcm16, dataFirst: true }),
    decodeCase('odd-chunks-padded', { format: 'pcm16', samples: pcm16, before: [chunk('abcd', 'odd'), id3], after: [chunk('tail', 'xyzzy')] }),
    decodeCase('odd-chunk-missing-pad', { format: 'pcm16', samples: pcm16 }, { warningIncludes: 'odd size and no pad byte' },
      riff([fmt16, chunk('abcd', 'odd').subarray(0, 11), data16])),
    decodeCase('list-junk-id3-around-data', { format: 'pcm16', samples: pcm16, before: [listChunk, junk, id3], after: [listChunk, id3, junk] }),
    decodeCase('junk-before-fmt', { format: 'pcm16', samples: pcm16 }, {}, riff([junk, listChunk, fmt16, data16])),
    decodeCase('trailing-garbage', { format: 'pcm16', samples: pcm16 }, {}, Buffer.concat([good16, Buffer.from('garbage!')])),

    // --- formats ---
    decodeCase('pcm8-unsigned', { format: 'pcm8', samples: withExtremes(8, 300) }),
    decodeCase('pcm16', { format: 'pcm16', samples: withExtremes(16, 300) }),
    decodeCase('pcm24', { format: 'pcm24', samples: withExtremes(24, 300) }),
    decodeCase('pcm32', { format: 'pcm32', samples: withExtremes(32, 300) }),
    decodeCase('float32', { format: 'float32', samples: [-1, 1, 0, -0, 0.5, 1.5, -2, 1e-40, ...floatSig] }),
    decodeCase('float64', { format: 'float64', samples: [-1, 1, 0, 0.1, 1 / 3, 1e-300, ...floatSig] }),
    decodeCase('extensible-pcm16', { format: 'pcm16', samples: pcm16, extensible: true }),
    decodeCase('extensible-pcm24-20bit', { format: 'pcm24', samples: withExtremes(24, 100), extensible: true, validBits: 20 }),
    decodeCase('extensible-float32', { format: 'float32', samples: floatSig, extensible: true }),
    decodeCase('extensible-float64-stereo', { format: 'float64', channels: 2, samples: floatSig, extensible: true }),
    decodeCase('alaw', { format: 'alaw', samples: Array.from({ length: 256 }, (_, i) => i) }),
    decodeCase('mulaw', { format: 'mulaw', samples: Array.from({ length: 256 }, (_, i) => i) }),
    decodeCase('extensible-mulaw', { format: 'mulaw', samples: Array.from({ length: 256 }, (_, i) => 255 - i), extensible: true }),
    decodeCase('stereo-44k', { format: 'pcm16', channels: 2, sampleRate: 44100, samples: Array.from(testSignal(2000, 2, 16, 3)) }),
    decodeCase('six-channels', { format: 'pcm24', channels: 6, sampleRate: 48000, samples: Array.from(testSignal(300, 6, 24, 4)) }),
    decodeCase('single-sample', { format: 'pcm16', samples: [12345] }),
    decodeCase('all-zero', { format: 'pcm16', samples: new Array(800).fill(0) }),

    // --- header fields that make no sense ---
    errorCase('zero-channels', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 0, sampleRate: 16000, bits: 16, blockAlign: 2 })), data16]), '0 channels'),
    errorCase('sample-rate-zero', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 0, bits: 16 })), data16]), 'sample rate 0'),
    errorCase('sample-rate-absurd', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 7, bits: 16 })), data16]), 'sample rate 7 Hz is out of range'),
    errorCase('mp3-in-wav', riff([chunk('fmt ', fmtBody({ tag: 0x55, channels: 1, sampleRate: 16000, bits: 0 })), data16]), 'unsupported WAV format tag 0x0055 (MPEG); convert it to PCM WAV'),
    errorCase('ms-adpcm', riff([chunk('fmt ', fmtBody({ tag: 2, channels: 1, sampleRate: 16000, bits: 4 })), data16]), 'unsupported WAV format tag 0x0002 (Microsoft ADPCM)'),
    errorCase('extensible-unknown-subformat', riff([chunk('fmt ', (() => { const b = fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16, extensible: { validBits: 16, subTag: 1 } }); b[30] = 0x99; return b; })()), data16]), 'unsupported WAVE_FORMAT_EXTENSIBLE subformat'),
    errorCase('extensible-too-short', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16, extensible: { validBits: 16, subTag: 1 } }).subarray(0, 24)), data16]), 'WAVE_FORMAT_EXTENSIBLE fmt chunk is too short'),
    errorCase('float16', riff([chunk('fmt ', fmtBody({ tag: 3, channels: 1, sampleRate: 16000, bits: 16 })), data16]), 'unsupported float sample size: 16 bits'),
    errorCase('pcm-40-bit', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 40 })), data16]), 'unsupported PCM sample size: 40 bits'),
    errorCase('fmt-too-short', riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }).subarray(0, 14)), data16]), 'fmt chunk is too short (14 bytes'),
    errorCase('no-data-chunk', riff([fmt16, listChunk]), 'no data chunk'),
    errorCase('no-fmt-chunk', riff([listChunk, data16, junk]), 'no fmt chunk'),
    errorCase('data-size-zero', riff([fmt16, dataHeader(0)]), 'no audio samples'),
    errorCase('frame-bigger-than-data', riff([chunk('fmt ', fmtBody({ tag: 3, channels: 65535, sampleRate: 16000, bits: 64 })), data16]), 'no audio samples (the data chunk holds 2000 bytes'),
    errorCase('float-nan', writeWav({ format: 'float32', samples: [...new Array(8000).fill(0.25), NaN, 0] }), 'contains NaN/infinite samples at 0.50 s'),
    errorCase('float-plus-inf', writeWav({ format: 'float32', samples: [0, 0.5, Infinity] }), 'contains NaN/infinite samples at 0.00 s'),
    errorCase('float-minus-inf', writeWav({ format: 'float64', sampleRate: 8000, samples: [...new Array(12000).fill(0), -Infinity] }), 'contains NaN/infinite samples at 1.50 s'),
    errorCase('float64-beyond-float32', writeWav({ format: 'float64', samples: [0, 1e300] }), 'contains NaN/infinite samples'),
    errorCase('nan-in-one-of-six-channels', writeWav({ format: 'float32', channels: 6, samples: [...new Array(60).fill(0.1), 0, 0, 0, NaN, 0, 0] }), 'contains NaN/infinite samples'),

    // --- not files ---
    errorCase('directory', async (dir) => {
      const p = join(dir, 'x.wav');
      await mkdir(p, { recursive: true });
      return p;
    }, 'is a directory'),
    errorCase('symlink-loop', async (dir) => {
      const p = join(dir, 'loop.wav');
      await symlink(p, p);
      return p;
    }, 'too many levels of symbolic links (ELOOP)'),
    errorCase('missing-file', async (dir) => join(dir, 'gone.wav'), 'file disappeared or cannot be opened (ENOENT)'),
  ];
  if (process.platform !== 'win32') {
    cases.push(errorCase('named-pipe', async (dir) => {
      const p = join(dir, 'pipe.wav');
      execFileSync('mkfifo', [p]);
      return p;
    }, 'is not a regular file (named pipe)'));
  }
  return cases;
}

/**
 * The `fmt ` chunk: which sample codec a WAV uses, validated into a form the decoder can
 * trust (channel count, rate and frame size all sane), or an InputFileError in plain words.
 */
import { InputFileError } from '../errors.js';

export type Codec = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

export interface WavFormat {
  readonly codec: Codec;
  readonly channels: number;
  readonly sampleRate: number;
  /** Bytes per sample of one channel (the container size). */
  readonly bytesPerSample: number;
  /** Bytes per frame (all channels), as the decoder uses it: channels * bytesPerSample. */
  readonly frameBytes: number;
  readonly warnings: string[];
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Rates outside this range are a corrupt header, not audio anyone can score (the same for every format). */
export { MIN_SAMPLE_RATE, MAX_SAMPLE_RATE } from './limits.js';
import { MIN_SAMPLE_RATE, MAX_SAMPLE_RATE } from './limits.js';

/** Names for the tags people actually meet, so the message says what the file is. */
const TAG_NAMES: Record<number, string> = {
  0x0000: 'unknown',
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0022: 'DSP Group TrueSpeech',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0050: 'MPEG',
  0x0055: 'MPEG',
  0x0092: 'Dolby AC-3 SPDIF',
  0x00ff: 'AAC',
  0x0160: 'Windows Media Audio',
  0x0161: 'Windows Media Audio',
  0x1610: 'HE-AAC',
  0x2000: 'Dolby AC-3',
  0x2001: 'DTS',
  0x674f: 'Ogg Vorbis',
  0x6750: 'Ogg Vorbis',
  0x6751: 'Ogg Vorbis',
  0xf1ac: 'FLAC',
};

function hex4(tag: number): string {
  return `0x${tag.toString(16).toUpperCase().padStart(4, '0')}`;
}

function unsupportedTag(tag: number): InputFileError {
  const name = TAG_NAMES[tag];
  return new InputFileError(`unsupported WAV format tag ${hex4(tag)}${name ? ` (${name})` : ''}; convert it to PCM WAV`);
}

/** KSDATAFORMAT_SUBTYPE_*: the format tag in the first two bytes, then this fixed suffix. */
const GUID_SUFFIX = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

function guidString(g: Buffer): string {
  const h = g.toString('hex');
  // Mixed-endian GUID text form, as Windows prints it.
  const le = (s: string) => s.match(/../g)!.reverse().join('');
  return `{${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}}`.toUpperCase();
}

/** Parses the body of a `fmt ` chunk (the bytes present in the file). */
export function parseFormat(body: Buffer): WavFormat {
  const warnings: string[] = [];
  if (body.length < 16) {
    throw new InputFileError(`fmt chunk is too short (${body.length} bytes; needs at least 16)`);
  }
  let tag = body.readUInt16LE(0);
  const channels = body.readUInt16LE(2);
  const sampleRate = body.readUInt32LE(4);
  const blockAlign = body.readUInt16LE(12);
  const bits = body.readUInt16LE(14);

  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (body.length < 40) {
      throw new InputFileError(`WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (${body.length} bytes; needs 40)`);
    }
    const guid = body.subarray(24, 40);
    if (!guid.subarray(2).equals(GUID_SUFFIX)) {
      throw new InputFileError(`unsupported WAVE_FORMAT_EXTENSIBLE subformat ${guidString(guid)}; convert it to PCM WAV`);
    }
    tag = guid.readUInt16LE(0);
  }

  if (channels === 0) throw new InputFileError('0 channels');
  if (sampleRate === 0) throw new InputFileError('sample rate 0');
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new InputFileError(`sample rate ${sampleRate} Hz is out of range (${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz; the header is probably corrupt)`);
  }

  let codec: Codec;
  // The container size decides how samples are read (20-bit audio in 24-bit containers is
  // scaled as 24-bit, as libsndfile does); bitsPerSample is rounded up to whole bytes.
  const bytesPerSample = Math.ceil(bits / 8);
  switch (tag) {
    case WAVE_FORMAT_PCM: {
      const byBytes: Record<number, Codec> = { 1: 'pcm8', 2: 'pcm16', 3: 'pcm24', 4: 'pcm32' };
      const c = byBytes[bytesPerSample];
      if (!c) throw new InputFileError(`unsupported PCM sample size: ${bits} bits`);
      codec = c;
      break;
    }
    case WAVE_FORMAT_IEEE_FLOAT: {
      if (bits === 32) codec = 'float32';
      else if (bits === 64) codec = 'float64';
      else throw new InputFileError(`unsupported float sample size: ${bits} bits (32 or 64 expected)`);
      break;
    }
    case WAVE_FORMAT_ALAW:
    case WAVE_FORMAT_MULAW: {
      // G.711 is 8 bits per sample by definition; a different number means a broken header.
      if (bits !== 8) throw new InputFileError(`unsupported G.711 sample size: ${bits} bits (8 expected)`);
      codec = tag === WAVE_FORMAT_ALAW ? 'alaw' : 'mulaw';
      break;
    }
    default:
      throw unsupportedTag(tag);
  }
  const frameBytes = channels * bytesPerSample;
  if (blockAlign !== frameBytes) {
    // The sample size and channel count define the layout; a block align that disagrees is
    // the one field nothing else depends on, so it is the one not trusted.
    warnings.push(`block align ${blockAlign} does not match ${channels} channel(s) x ${bytesPerSample} bytes; using ${frameBytes}`);
  }
  return { codec, channels, sampleRate, bytesPerSample, frameBytes, warnings };
}

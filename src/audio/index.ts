/**
 * Audio input: open a WAV, FLAC, MP3, Ogg Vorbis or Ogg Opus file (detected from its content),
 * read mono samples of any range at any rate. Memory follows the request, not the file: WAV
 * reads touch only the bytes they need, compressed files decode through a bounded cache of
 * blocks (streamed.ts), so files of any length are fine. Every problem a bad file can cause is
 * an InputFileError whose message names the problem in plain words without the path (the
 * pipeline prefixes `<path>: `).
 */
import { detectFormat } from './detect.js';
import { checkDecodeBudget, type DecodeLimits } from './limits.js';
import { openFlac } from './flac.js';
import { openMpeg } from './mpeg.js';
import { openOgg } from './ogg.js';
import { resampleFrom, resamplerFor } from './resample.js';
import { bufferSource, openFileSource, type ByteSource } from './source.js';
import { StreamedAudio } from './streamed.js';
import type { AudioInfo, FrameSource } from './types.js';
import { WavFile } from './wav.js';

export type { AudioFormat, AudioInfo } from './types.js';
export { DEFAULT_MAX_DURATION, MAX_FRAMES_PER_BYTE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type DecodeLimits } from './limits.js';

export interface AudioReader {
  readonly info: AudioInfo;
  /** Length in samples at `rate`: ceil(frames * rate / sampleRate) (the resampler's rule). */
  lengthAt(rate: number): number;
  /**
   * Mono samples [start, start+length) at `rate` (channels averaged, band-limited resampled).
   * Any order of reads works; forward reads are the cheapest. A range outside
   * [0, lengthAt(rate)) throws RangeError rather than padding: the pipeline never asks for one,
   * so it would be a bug to hide. Audio that turns out to be unusable where it is read (NaN or
   * infinite samples in a float WAV, a damaged compressed frame) throws InputFileError.
   */
  read(rate: number, start: number, length: number): Promise<Float32Array>;
  close(): Promise<void>;
}

class FrameSourceReader implements AudioReader {
  constructor(private readonly source: FrameSource) {}

  get info(): AudioInfo {
    const info = this.source.info;
    return { ...info, warnings: [...info.warnings] };
  }

  lengthAt(rate: number): number {
    return resamplerFor(this.source.info.sampleRate, rate).outputLength(this.source.info.frames);
  }

  async read(rate: number, start: number, length: number): Promise<Float32Array> {
    const total = this.lengthAt(rate);
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > total) {
      throw new RangeError(`samples [${start}, ${start + length}) at ${rate} Hz are outside the file's ${total}`);
    }
    const { sampleRate, frames } = this.source.info;
    if (rate === sampleRate) return this.source.readFrames(start, length);
    return resampleFrom((from, count, into, at) => this.source.readFrames(from, count, into, at), frames, sampleRate, rate, start, length);
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

/** A WAV file as a frame source. */
function wavFrames(wav: WavFile): FrameSource {
  return {
    info: { format: 'wav', ...wav.info },
    readFrames: (start, count, out, outOffset) => wav.readFrames(start, count, out, outOffset),
    close: () => wav.close(),
  };
}

async function openFrames(src: ByteSource): Promise<FrameSource> {
  const detected = await detectFormat(src);
  switch (detected.container) {
    case 'wav':
      return wavFrames(await WavFile.open(src));
    case 'flac':
      return new StreamedAudio(await openFlac(src, detected.start, detected.warnings));
    case 'mpeg':
      return new StreamedAudio(await openMpeg(src, detected.start, detected.warnings));
    case 'ogg':
      return new StreamedAudio(await openOgg(src, []));
  }
}

async function openSource(src: ByteSource, limits: DecodeLimits): Promise<AudioReader> {
  let frames: FrameSource | null = null;
  try {
    frames = await openFrames(src);
    // What the file decodes to is known once it is indexed, before anything is decoded.
    checkDecodeBudget(frames.info.frames, frames.info.sampleRate, src.size, limits);
    return new FrameSourceReader(frames);
  } catch (error) {
    await (frames ? frames.close() : src.close()).catch(() => undefined);
    throw error;
  }
}

/**
 * Opens an audio file. Throws InputFileError (plain words, no path) when it cannot be used, or
 * when it would decode to more than `limits` allow (limits.ts).
 */
export async function openAudio(path: string | Buffer, limits: DecodeLimits = {}): Promise<AudioReader> {
  return openSource(await openFileSource(path), limits);
}

/** Same as openAudio for file bytes already in memory (tests, fuzzing, stdin). */
export async function openAudioBuffer(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<AudioReader> {
  return openSource(bufferSource(bytes), limits);
}

export { Resampler, resample, resampleRange, resamplerFor } from './resample.js';
export {
  logMelSpectrogram,
  melL1,
  melL1Streamed,
  melFrameCount,
  MEL_MIN_SAMPLES,
  MEL_SAMPLE_RATE,
  type LogMel,
  type SampleReader,
} from './mel.js';

/**
 * Audio input: open a WAV file, read mono samples of any range at any rate. Reads touch only
 * the bytes they need (a window of N output samples reads O(N) input bytes), so files of any
 * length are fine. Every problem a bad file can cause is an InputFileError whose message
 * names the problem in plain words without the path (the pipeline prefixes `<path>: `).
 */
import { resampleFrom, resamplerFor } from './resample.js';
import { bufferSource, openFileSource, type ByteSource } from './source.js';
import { WavFile } from './wav.js';

export interface AudioInfo {
  /** The file's own rate, Hz. */
  sampleRate: number;
  channels: number;
  /** Whole frames (samples per channel) present. */
  frames: number;
  /** 'pcm8' (unsigned), 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'alaw', 'mulaw'. */
  codec: string;
  /** Repairs and assumptions made while reading the header (truncated data, missing pad byte...). */
  warnings: string[];
}

export interface AudioReader {
  readonly info: AudioInfo;
  /** Length in samples at `rate`: ceil(frames * rate / sampleRate) (the resampler's rule). */
  lengthAt(rate: number): number;
  /**
   * Mono samples [start, start+length) at `rate` (channels averaged, band-limited resampled).
   * Reads only the bytes it needs. A range outside [0, lengthAt(rate)) throws RangeError
   * rather than padding: the pipeline never asks for one, so it would be a bug to hide.
   * Float files with NaN/infinite samples in the range read throw InputFileError.
   */
  read(rate: number, start: number, length: number): Promise<Float32Array>;
  close(): Promise<void>;
}

class WavAudioReader implements AudioReader {
  constructor(private readonly wav: WavFile) {}

  get info(): AudioInfo {
    const { sampleRate, channels, frames, codec, warnings } = this.wav.info;
    return { sampleRate, channels, frames, codec, warnings: [...warnings] };
  }

  lengthAt(rate: number): number {
    return resamplerFor(this.wav.info.sampleRate, rate).outputLength(this.wav.info.frames);
  }

  async read(rate: number, start: number, length: number): Promise<Float32Array> {
    const total = this.lengthAt(rate);
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > total) {
      throw new RangeError(`samples [${start}, ${start + length}) at ${rate} Hz are outside the file's ${total}`);
    }
    const { sampleRate, frames } = this.wav.info;
    if (rate === sampleRate) return this.wav.readFrames(start, length);
    return resampleFrom((from, count, into, at) => this.wav.readFrames(from, count, into, at), frames, sampleRate, rate, start, length);
  }

  close(): Promise<void> {
    return this.wav.close();
  }
}

async function openSource(src: ByteSource): Promise<AudioReader> {
  try {
    return new WavAudioReader(await WavFile.open(src));
  } catch (error) {
    await src.close().catch(() => undefined);
    throw error;
  }
}

/** Opens a WAV file. Throws InputFileError (plain words, no path) when it cannot be used. */
export async function openAudio(path: string): Promise<AudioReader> {
  return openSource(await openFileSource(path));
}

/** Same as openAudio for WAV bytes already in memory (tests, fuzzing, stdin). */
export async function openAudioBuffer(bytes: Uint8Array): Promise<AudioReader> {
  return openSource(bufferSource(bytes));
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

/** What every audio reader reports about its file, and the frame-level interface behind it. */

/** The file's format as detected from its content: the container and, for MPEG and Ogg, the codec. */
export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'mp2' | 'mp1' | 'ogg-vorbis' | 'ogg-opus';

export interface AudioInfo {
  readonly format: AudioFormat;
  /** The rate the file decodes at, Hz (Opus always decodes at 48 kHz). */
  readonly sampleRate: number;
  readonly channels: number;
  /** Whole frames (samples per channel) of audio, after codec delay and padding are removed. */
  readonly frames: number;
  /**
   * WAV: 'pcm8' (unsigned), 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'alaw', 'mulaw';
   * otherwise the codec: 'flac', 'mp3', 'mp2', 'mp1', 'vorbis', 'opus'.
   */
  readonly codec: string;
  /** Repairs and assumptions made while reading the file (truncated data, skipped junk...). */
  readonly warnings: string[];
}

/** Mono frames of one file at its own rate, by index: what a reader resamples from. */
export interface FrameSource {
  readonly info: AudioInfo;
  /**
   * Mono frames [start, start+count) into `out` at `outOffset`. Throws RangeError outside the
   * file, InputFileError when the data turns out to be unusable.
   */
  readFrames(start: number, count: number, out?: Float32Array, outOffset?: number): Promise<Float32Array>;
  close(): Promise<void>;
}

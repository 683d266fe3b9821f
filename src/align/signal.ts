/**
 * A signal at one fixed rate that can be read in pieces: an AudioReader at the model rate, or an
 * array in tests. The aligner only ever asks for ranges inside [0, length), and reads a long
 * file one bounded chunk at a time.
 */
export interface SignalSource {
  /** Samples in the signal. */
  readonly length: number;
  /** Samples [start, start + length); always inside [0, this.length). */
  read(start: number, length: number): Promise<Float32Array>;
}

/** An in-memory signal as a SignalSource. */
export function arraySource(samples: Float32Array): SignalSource {
  return {
    length: samples.length,
    read: async (start, length) => samples.subarray(start, start + length),
  };
}

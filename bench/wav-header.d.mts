/** Types for wav-header.mjs, for the TypeScript tests that write WAV files with it. */
export declare function pcm16WavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer;

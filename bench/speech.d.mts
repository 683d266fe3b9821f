/** Types for speech.mjs, for the TypeScript tests that generate their fixtures with it. */
export declare function speechLike(seconds: number, rate: number, seed: number, variant?: number): Float32Array;

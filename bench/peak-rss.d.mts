/** Types for peak-rss.mjs, for the TypeScript tests that measure the CLI's memory with bench/peak-rss.cjs. */
export declare function peakRssMb(text: string): number;

/** What the decoders' fuzz tests (test/audio/*-fuzz.test.ts) share: blind byte mutations and the finiteness check. */

/** How one format's blind mutations are sized. */
export interface ByteMutationSizes {
  /** Share of positions drawn from the first `headerBytes` bytes rather than the whole file. */
  readonly headerShare: number;
  readonly headerBytes: number;
  /** The most bits one mutation flips. */
  readonly flips: number;
  /** The longest run one mutation deletes. */
  readonly deletion: number;
}

/**
 * Blind mutation `kind` of `b`: 0 flips bits, 1 truncates, 2 inserts random bytes, 3 deletes a
 * run. Returns the mutated bytes (a copy) and a short description for failures.
 */
export function byteMutation(kind: 0 | 1 | 2 | 3, b: Buffer, rnd: () => number, sizes: ByteMutationSizes): [Buffer, string] {
  const int = (n: number) => Math.floor(rnd() * n);
  const headerBiased = () => (rnd() < sizes.headerShare ? int(Math.min(b.length, sizes.headerBytes)) : int(Math.max(1, b.length)));
  const out = Buffer.from(b);
  switch (kind) {
    case 0: {
      const flips = 1 + int(sizes.flips);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const at = headerBiased();
        out[at] = out[at]! ^ (1 << int(8));
      }
      return [out, `flip x${flips}`];
    }
    case 1: {
      const len = int(b.length + 1);
      return [out.subarray(0, len), `truncate to ${len}`];
    }
    case 2: {
      const at = headerBiased();
      const ins = Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)));
      return [Buffer.concat([out.subarray(0, at), ins, out.subarray(at)]), `insert ${ins.length} at ${at}`];
    }
    case 3: {
      const at = headerBiased();
      const len = 1 + int(sizes.deletion);
      return [Buffer.concat([out.subarray(0, at), out.subarray(at + len)]), `delete ${len} at ${at}`];
    }
  }
}

/**
 * Reads the first 400 and last 300 samples resampled to 32 kHz (the resampler's edges, where a
 * damaged file's last samples show) and throws, naming `label`, if any is not finite.
 */
export async function checkResampledEnds(reader: { lengthAt(rate: number): number; read(rate: number, start: number, length: number): Promise<Float32Array> }, label: string): Promise<void> {
  const n32 = reader.lengthAt(32000);
  const head = await reader.read(32000, 0, Math.min(n32, 400));
  const tail = await reader.read(32000, Math.max(0, n32 - 300), Math.min(n32, 300));
  if (!allFinite(head) || !allFinite(tail)) throw new Error(`${label}: non-finite resampled samples`);
}

export function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return false;
  return true;
}

/** The typed arrays the compact containers grow. */
export type GrowableArray = Float64Array | Int32Array | Uint8Array;

/**
 * A copy of `array` twice as long, the new half zero: appending by doubling is amortized O(1).
 * (Containers that must never hold both copies at once use fixed blocks instead, see FloatBlocks.)
 */
export function doubled<T extends GrowableArray>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * FNV-1a (32-bit) over a string's UTF-16 code units: cheap, spread well enough for paths, and
 * the same on every machine (the HTML sample picks the same files on every run).
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

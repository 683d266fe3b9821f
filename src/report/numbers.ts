/** Strict number parsing for cells read back from reports. */

// Plain decimal or scientific notation only: `Number()` alone would also take '', ' ', '0x1f'
// and 'Infinity', which would turn a damaged file into plausible-looking scores.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number written in `text`, or null when it is not a finite decimal number. */
export function parseDecimal(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Holm's step-down correction for a family of tests: sort the m p-values ascending, multiply
 * the k-th smallest (k from 0) by (m − k), carry the running maximum so adjusted values keep
 * the order of the raw ones, and cap at 1. Controls the family-wise error rate at α with no
 * assumption about how the tests depend on each other (the comparisons of one run share
 * files). Null p-values (nothing tested) stay null and do not count towards m.
 */
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues.map((p, i) => ({ p, i })).filter((e): e is { p: number; i: number } => e.p !== null);
  tested.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = tested.length;
  const adjusted: (number | null)[] = pValues.map(() => null);
  let running = 0;
  tested.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

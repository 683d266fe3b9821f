/**
 * The one column checker for every flag that names a metric column (`--fail-if`,
 * `--max-regression`): the column must be a numeric column of the run, and in a reference-free
 * run not one computed from the reference. Errors suggest the nearest name.
 */
import { BASE_COLUMNS, isTextColumn, needsReference, subsFromColumns } from '../report/columns.js';

export interface ColumnCheckOptions {
  /**
   * A reference-free (`--syn-only`) run: columns computed from the reference are always empty,
   * so naming one is a usage error (a gate on it could never be checked).
   */
  readonly referenceFree?: boolean;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest numeric column to a mistyped name, when it is close enough to be a typo. */
function nearest(column: string, columns: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of columns.filter((c) => !isTextColumn(c))) {
    const distance = editDistance(column.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= 2 ? best : null;
}

/**
 * Checks that `column` can be gated or compared in a run with `columns`; otherwise calls `fail`
 * with what is wrong (the caller adds which flag and an example).
 */
export function checkMetricColumn(column: string, columns: readonly string[], options: ColumnCheckOptions, fail: (what: string) => never): void {
  if (!columns.includes(column)) {
    const best = nearest(column, columns);
    const hint = best !== null ? ` (did you mean "${best}"?)` : '';
    const main = BASE_COLUMNS.filter((c) => !isTextColumn(c) && columns.includes(c));
    const subs = subsFromColumns(columns);
    const perSub = subs.length > 0 ? `, or fm_<sub>, gen_<sub>, real_<sub>, fake_<sub> with <sub> one of ${subs.join(', ')}` : '';
    fail(`unknown column "${column}"${hint}: expected one of ${main.join(', ')}${perSub}`);
  }
  if (isTextColumn(column)) fail(`column "${column}" holds text, not numbers`);
  if (options.referenceFree && needsReference(column)) {
    fail(`"${column}" needs a reference recording and is always empty in a --syn-only run; use gen, fake, gen_<sub> or fake_<sub>`);
  }
}

/**
 * `--fail-if EXPR` quality gates: parsing (hand-written, so errors can say exactly what was
 * expected where) and evaluation over the run's rows. Only rows with status `ok` count.
 *
 * Grammar (whitespace allowed between any two tokens):
 *
 *   gate       := target comparison number
 *   target     := column                          each ok file: fails if any file matches
 *               | aggregate "(" column ")"         the aggregate over ok files
 *               | "count" "(" column comparison number ")"
 *                                                  how many ok files match the inner condition
 *   aggregate  := "mean" | "median" | "min" | "max" | "p" N     (N an integer 0..100: p95, p99)
 *   comparison := ">" | ">=" | "<" | "<=" | "==" | "!="
 *   column     := [A-Za-z_][A-Za-z0-9_]*            a numeric column of the run (fm, mel_l1,
 *                                                  fm_p2, gen_r1024, fm_s_0 when layers are on)
 *   number     := [+-]? (digits ["." digits] | "." digits) [("e"|"E") [+-] digits]
 *
 * The gate fails when the comparison holds: `fm > 0.4` fails if any ok file has fm above 0.4,
 * `mean(fm) > 0.3` fails if the mean is above 0.3, `count(fm > 0.4) > 3` fails if more than 3
 * files have fm above 0.4. Percentiles interpolate linearly between closest ranks (numpy's
 * default, see report/stats.ts); median is p50. `==`/`!=` compare exactly.
 *
 * Values that are missing (null) in an ok row are skipped. A gate with no value at all to look
 * at (no ok row has the column) fails: a CI gate that cannot be checked must not pass silently.
 * `count(...)` is the exception: a count of 0 is well defined. In a reference-free run
 * (`referenceFree`, the CLI's `--syn-only`) a gate naming a column computed from the reference
 * (`fm`, `mel_l1`, `fm_p2`, ...) is refused when parsing (usage error, exit 2), before scoring.
 */
import { UsageError } from '../errors.js';
import { compareKeys, numberCell, rowKey, type Row } from '../report/columns.js';
import { checkMetricColumn, type ColumnCheckOptions } from './columns.js';
import { BoundedHeap, FloatColumn } from '../report/compact.js';
import { formatNumber, mean, percentileSorted } from '../report/stats.js';
import type { GateFile, GateVerdict } from '../report/verdicts.js';

export type { GateFile };

export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type AggregateName = 'mean' | 'median' | 'min' | 'max' | 'percentile';

export type GateTarget =
  | { readonly kind: 'each'; readonly column: string }
  | { readonly kind: 'aggregate'; readonly fn: AggregateName; readonly percentile: number | null; readonly column: string }
  | { readonly kind: 'count'; readonly column: string; readonly op: Comparison; readonly threshold: number };

export interface Gate {
  /** The expression as the user wrote it (trimmed), for messages. */
  readonly source: string;
  readonly target: GateTarget;
  readonly op: Comparison;
  readonly threshold: number;
}

const EXAMPLE = 'example: --fail-if "mean(fm) > 0.3"';
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Token = { readonly text: string; readonly kind: 'word' | 'op' | '(' | ')' | 'bad-op' };

/** Splits on parentheses and comparison characters; everything else between them is a word. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ text: c, kind: c });
      i++;
    } else if (c === '<' || c === '>' || c === '=' || c === '!') {
      const two = text.slice(i, i + 2);
      if (two === '>=' || two === '<=' || two === '==' || two === '!=') {
        tokens.push({ text: two, kind: 'op' });
        i += 2;
      } else {
        tokens.push({ text: c, kind: c === '<' || c === '>' ? 'op' : 'bad-op' });
        i++;
      }
    } else {
      let j = i;
      while (j < text.length && !/[\s()<>=!]/.test(text[j]!)) j++;
      tokens.push({ text: text.slice(i, j), kind: 'word' });
      i = j;
    }
  }
  return tokens;
}

/**
 * Parses one `--fail-if` expression against the run's column list. Throws a UsageError that
 * says what was expected where, e.g.
 * `invalid --fail-if "mean(fm) >": expected a number after ">" (example: --fail-if "mean(fm) > 0.3")`.
 */
export function parseGate(expression: string, columns: readonly string[], flag = '--fail-if', options: ColumnCheckOptions = {}): Gate {
  const source = expression.trim();
  const example = options.referenceFree ? 'example: --fail-if "mean(gen) > 5"' : EXAMPLE;
  const fail = (what: string): never => {
    throw new UsageError(`invalid ${flag} "${source}": ${what} (${example})`);
  };
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const shown = (token: Token | undefined): string => (token ? `"${token.text}"` : 'the end');

  const expectComparison = (after: string): Comparison => {
    const token = peek();
    if (token?.kind === 'bad-op') {
      fail(token.text === '=' ? `"=" is not a comparison, use "==" after ${after}` : `"!" is not a comparison, use "!=" after ${after}`);
    }
    if (token?.kind !== 'op') fail(`expected a comparison (${COMPARISONS.join(' ')}) after ${after}, got ${shown(token)}`);
    at++;
    return token!.text as Comparison;
  };
  const expectNumber = (op: string): number => {
    const token = peek();
    if (token?.kind !== 'word' || !NUMBER.test(token.text)) fail(`expected a number after "${op}"${token ? `, got "${token.text}"` : ''}`);
    const value = Number(token!.text);
    if (!Number.isFinite(value)) fail(`the number after "${op}" is out of range: "${token!.text}"`);
    at++;
    return value;
  };
  const expectColumn = (after: string): string => {
    const token = peek();
    if (token?.kind !== 'word' || !IDENT.test(token.text)) fail(`expected a column name ${after}, got ${shown(token)}`);
    at++;
    checkMetricColumn(token!.text, columns, options, fail);
    return token!.text;
  };
  const expectClose = (after: string): void => {
    if (peek()?.kind !== ')') fail(`expected ")" after "${after}", got ${shown(peek())}`);
    at++;
  };

  const first = peek();
  if (!first) fail('expected a column or an aggregate such as mean(fm), then a comparison and a number');
  if (first!.kind !== 'word' || !IDENT.test(first!.text)) {
    fail(`expected a column or an aggregate such as mean(fm) at the start, got "${first!.text}"`);
  }
  let target: GateTarget;
  let described: string;
  if (tokens[at + 1]?.kind === '(') {
    const name = first!.text.toLowerCase();
    at += 2;
    if (name === 'count') {
      const column = expectColumn('inside count(...)');
      if (peek()?.kind === ')') fail(`count needs a condition, e.g. count(${column} > 0.4) > 3`);
      const op = expectComparison(`"count(${column}"`);
      const threshold = expectNumber(op);
      expectClose(tokens[at - 1]!.text);
      target = { kind: 'count', column, op, threshold };
      described = `count(${column} ${op} ${tokens[at - 2]!.text})`;
    } else {
      let fn: AggregateName;
      let p: number | null = null;
      const percentileMatch = /^p(\d+)$/.exec(name);
      if (name === 'mean' || name === 'median' || name === 'min' || name === 'max') fn = name;
      else if (percentileMatch) {
        p = Number(percentileMatch[1]);
        if (p > 100) fail(`a percentile must be p0 to p100, got "${first!.text}"`);
        fn = 'percentile';
      } else {
        return fail(`unknown aggregate "${first!.text}": expected mean, median, min, max, p<N> (like p95) or count`);
      }
      const column = expectColumn(`inside ${name}(...)`);
      expectClose(column);
      target = { kind: 'aggregate', fn, percentile: p, column };
      described = `${name}(${column})`;
    }
  } else {
    at++;
    checkMetricColumn(first!.text, columns, options, fail);
    target = { kind: 'each', column: first!.text };
    described = first!.text;
  }
  const op = expectComparison(`"${described}"`);
  const threshold = expectNumber(op);
  const rest = peek();
  if (rest) fail(`unexpected "${rest.text}" after the number ${tokens[at - 1]!.text}`);
  return { source, target, op, threshold };
}

/** Parses every `--fail-if` given (in order). */
export function parseGates(expressions: readonly string[], columns: readonly string[], options: ColumnCheckOptions = {}): Gate[] {
  return expressions.map((expression) => parseGate(expression, columns, '--fail-if', options));
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

const OP_WORDS: Readonly<Record<Comparison, string>> = {
  '>': 'above',
  '>=': 'at or above',
  '<': 'below',
  '<=': 'at or below',
  '==': 'equal to',
  '!=': 'not equal to',
};

/** An evaluated gate: the verdict every output shows, with the parsed gate it came from. */
export interface GateResult extends GateVerdict {
  readonly gate: Gate;
}

export interface EvaluateOptions {
  /** How many worst files to list per gate (default 5). */
  readonly worst?: number;
}

/** Orders files worst first for a condition `value op threshold`; ties by key. */
function worstFirst(op: Comparison, threshold: number): (a: GateFile, b: GateFile) => number {
  const badness = (v: number): number =>
    op === '>' || op === '>=' ? v : op === '<' || op === '<=' ? -v : Math.abs(v - threshold);
  return (a, b) => badness(b.value) - badness(a.value) || compareKeys(a.file, b.file);
}

function listFiles(files: readonly GateFile[]): string {
  return files.map((f) => `${f.file} (${formatNumber(f.value)})`).join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * One gate evaluated a row at a time, holding only what its verdict needs: the counts, the
 * column's values (aggregates only; 8 bytes a file) and bounded heaps of the worst files.
 */
export class GateAccumulator {
  private considered = 0;
  private missing = 0;
  private matching = 0;
  private readonly values: FloatColumn | null;
  /** Column and count gates: the files matching the per-file condition, worst first. */
  private readonly matched: BoundedHeap<GateFile>;
  /** Aggregates: the files pulling the aggregate the failing way. */
  private readonly pulling: BoundedHeap<GateFile>;
  private readonly limit: number;

  constructor(
    readonly gate: Gate,
    options: EvaluateOptions = {},
  ) {
    this.limit = options.worst ?? 5;
    const { target } = gate;
    const op = target.kind === 'count' ? target.op : gate.op;
    const threshold = target.kind === 'count' ? target.threshold : gate.threshold;
    this.matched = new BoundedHeap(this.limit, worstFirst(op, threshold));
    this.pulling = new BoundedHeap(target.kind === 'aggregate' ? this.limit : 0, worstFirst(gate.op, gate.threshold));
    this.values = target.kind === 'aggregate' ? new FloatColumn() : null;
  }

  add(row: Row): void {
    if (row['status'] !== 'ok') return;
    const { target } = this.gate;
    const value = numberCell(row, target.column);
    if (value === null) {
      this.missing++;
      return;
    }
    this.considered++;
    if (this.values) {
      this.values.push(value);
      this.pulling.offer({ file: rowKey(row), value });
      return;
    }
    const op = target.kind === 'count' ? target.op : this.gate.op;
    const threshold = target.kind === 'count' ? target.threshold : this.gate.threshold;
    if (compare(value, op, threshold)) {
      this.matching++;
      this.matched.offer({ file: rowKey(row), value });
    }
  }

  result(): GateResult {
    const { gate, considered, missing, limit } = this;
    const { target } = gate;
    const head = `gate "${gate.source}"`;
    const base = { gate, considered, missing };

    if (target.kind !== 'aggregate' && (target.kind === 'count' || considered > 0)) {
      // Column gates and count(...): the files matching a per-file condition.
      const op = target.kind === 'count' ? target.op : gate.op;
      const threshold = target.kind === 'count' ? target.threshold : gate.threshold;
      const worst = this.matched.sorted().slice(0, limit);
      const what = `${plural(this.matching, 'file')} ${OP_WORDS[op]} ${formatNumber(threshold)}`;
      const listed = worst.length > 0 ? `; worst: ${listFiles(worst)}` : '';
      if (target.kind === 'each') {
        const passed = this.matching === 0;
        const message = passed
          ? `${head} passed: 0 of ${plural(considered, 'file')} ${OP_WORDS[op]} ${formatNumber(threshold)}`
          : `${head} failed: ${what}${listed}`;
        return { ...base, passed, value: this.matching, worst, message };
      }
      const passed = !compare(this.matching, gate.op, gate.threshold);
      const message = `${head} ${passed ? 'passed' : 'failed'}: ${what} (of ${considered})${passed ? '' : listed}`;
      return { ...base, passed, value: this.matching, worst: passed ? [] : worst, message };
    }

    if (considered === 0) {
      return {
        ...base,
        passed: false,
        value: null,
        worst: [],
        message:
          `${head} failed: cannot be checked, ` +
          (missing > 0 ? `no ok file has a value for "${target.column}" (${plural(missing, 'ok file')} without one)` : 'no file was scored ok'),
      };
    }

    // Aggregates (column gates with values were handled above).
    const aggregate = target as Extract<GateTarget, { kind: 'aggregate' }>;
    const sorted = this.values!.values().sort();
    const value =
      aggregate.fn === 'mean'
        ? mean(sorted)!
        : aggregate.fn === 'min'
          ? sorted[0]!
          : aggregate.fn === 'max'
            ? sorted[sorted.length - 1]!
            : percentileSorted(sorted, aggregate.fn === 'median' ? 50 : aggregate.percentile!)!;
    const passed = !compare(value, gate.op, gate.threshold);
    const worst = passed ? [] : this.pulling.sorted().slice(0, limit);
    const name = aggregate.fn === 'percentile' ? `p${aggregate.percentile}` : aggregate.fn;
    const message =
      `${head} ${passed ? 'passed' : 'failed'}: ${name}(${aggregate.column}) = ${formatNumber(value)} over ${plural(considered, 'file')}` +
      (passed ? '' : `, ${OP_WORDS[gate.op]} ${formatNumber(gate.threshold)}; worst: ${listFiles(worst)}`);
    return { ...base, passed, value, worst, message };
  }
}

export function evaluateGate(gate: Gate, rows: readonly Row[], options: EvaluateOptions = {}): GateResult {
  const accumulator = new GateAccumulator(gate, options);
  for (const row of rows) accumulator.add(row);
  return accumulator.result();
}

/** Evaluates every gate; the run fails (exit 1) when any result has `passed: false`. */
export function evaluateGates(gates: readonly Gate[], rows: readonly Row[], options: EvaluateOptions = {}): GateResult[] {
  return gates.map((gate) => evaluateGate(gate, rows, options));
}

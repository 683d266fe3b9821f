/**
 * What an output format is: one module per format (csv.ts, json.ts, jsonl.ts, html.ts,
 * junit.ts, markdown.ts), each exporting a `Formatter`, in the manner of ESLint's formatters.
 * Every formatter works from the same result types: rows (`Row`, made from `PairResult`),
 * `ModelInfo`, the `Summary`, and the gate and baseline verdicts.
 *
 * Streaming formats (CSV, JSONL, the JSON document's records) turn each record into text as it
 * comes; whole-document formats (HTML, JUnit, Markdown) only have a `tail`, which gets
 * everything at the end. The writer (writer.ts) does the file handling for all of them.
 */
import type { ModelInfo } from '../scores.js';
import type { Row } from './columns.js';
import type { Summary } from './summary.js';
import type { ViewDigest } from './views.js';
import type { BaselineComparison, GateVerdict } from './verdicts.js';

/** What is known before the first record. */
export interface ReportFrame {
  /** The tool version. */
  readonly version: string;
  /** What was scored with; null for reports read back from CSV/JSONL, which do not record it. */
  readonly model: ModelInfo | null;
  /** The columns rows are written with, in order. */
  readonly columns: readonly string[];
  /** Sub-discriminator names, in model order. */
  readonly subs: readonly string[];
}

/** One audio file of a pair as the HTML report shows it. */
export interface AudioMedia {
  /** The file as a relative URL from the report's folder (null when it could not be found). */
  readonly href: string | null;
  /** Its log-mel spectrogram as a PNG data URI (null when it could not be made). */
  readonly spectrogram: string | null;
  /** Why something is missing, in plain words (null when nothing is). */
  readonly problem: string | null;
}

/** The media of one file of the worst list, keyed by row key in `ReportResults.media`. */
export interface FileMedia {
  readonly ref: AudioMedia | null;
  readonly syn: AudioMedia | null;
}

/** Judgements and extras known only once every row is in (see `ReportWriter.finish`). */
export interface ReportExtras {
  /** Evaluated `--fail-if` gates, in the order given. */
  readonly gates?: readonly GateVerdict[];
  /** The `--baseline` comparison. */
  readonly baseline?: BaselineComparison | null;
  /** Audio links and spectrograms of the worst files (HTML). */
  readonly media?: ReadonlyMap<string, FileMedia>;
}

/** Everything a whole-document format is made from. */
export interface ReportResults extends ReportFrame {
  /**
   * The rows the view lists: every row, or for the HTML page of a large run a bounded selection
   * (see `Formatter.rows`); statistics and plots come from `digest`, which covers every row.
   */
  readonly rows: readonly Row[];
  /** What the views show of every row; made from `rows` when absent (library callers). */
  readonly digest?: ViewDigest;
  readonly summary: Summary;
  readonly gates: readonly GateVerdict[];
  readonly baseline: BaselineComparison | null;
  readonly media: ReadonlyMap<string, FileMedia>;
}

export interface Formatter {
  /** Text before the first record. */
  head?(frame: ReportFrame): string;
  /** One record, as it comes (`index` counts from 0). Absent in whole-document formats. */
  record?(row: Row, index: number, frame: ReportFrame): string;
  /** The rest of the output once every row is in. */
  tail?(results: ReportResults): string;
  /**
   * Which rows `tail` needs: `all` (JUnit lists every file), `sample` (HTML: a bounded
   * selection, see html-sample.ts) or none (JSON's tail is the summary; Markdown needs only the
   * digest). Absent: none.
   */
  readonly rows?: 'all' | 'sample';
  /** Whether `tail` shows the digest (statistics, plots) of every row. */
  readonly digest?: boolean;
}

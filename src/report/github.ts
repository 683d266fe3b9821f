/**
 * GitHub Actions workflow commands for the results: `::error ...::` annotations for failed
 * gates, regressions and files that were not scored. (The step summary is the Markdown view,
 * markdown.ts.)
 *
 * Escaping follows the runner's rules (as @actions/core's `toCommandValue`/`escapeData` and
 * `escapeProperty`): in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property
 * values also `:` and `,` become `%3A` and `%2C`.
 */
import type { ReportResults } from './formatter.js';
import { formatNumber } from './stats.js';
import { failureCount } from './summary.js';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line, e.g. `::error file=a.wav,title=x::message`. */
export function workflowCommand(command: string, properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

export interface AnnotationOptions {
  /**
   * The path an annotation names for a file as written in the report (GitHub resolves it from
   * the repository root); default: unchanged.
   */
  readonly filePath?: (file: string) => string;
  /**
   * Most file annotations (regressions and files not scored) before one "… and N more" line;
   * GitHub shows only 10 error annotations per step anyway (default 10). Gates are always all
   * annotated.
   */
  readonly maxFiles?: number;
}

/** The annotation lines for `results` (no trailing newlines); empty when nothing failed. */
export function githubAnnotations(results: Pick<ReportResults, 'gates' | 'baseline' | 'summary'>, options: AnnotationOptions = {}): string[] {
  const filePath = options.filePath ?? ((file: string) => file);
  const maxFiles = options.maxFiles ?? 10;
  const lines: string[] = [];
  for (const gate of results.gates) {
    if (!gate.passed) lines.push(workflowCommand('error', { title: `tts-critic gate failed: ${gate.gate.source}` }, gate.message));
  }
  for (const t of results.baseline?.meanTests ?? []) {
    if (t.failed) lines.push(workflowCommand('error', { title: `tts-critic: mean ${t.column} regressed` }, t.message));
  }
  const fileLines: string[] = [];
  for (const r of results.baseline?.regressions ?? []) {
    const change = r.changePercent === null ? 'baseline 0' : `${r.changePercent >= 0 ? '+' : ''}${formatNumber(Number(r.changePercent.toFixed(2)))}%`;
    fileLines.push(
      workflowCommand(
        'error',
        { file: filePath(r.file), title: `tts-critic: ${r.column} regressed` },
        `${r.file}: ${r.column} ${formatNumber(r.baseline)} -> ${formatNumber(r.value)} (${change}, allowed ${formatNumber(r.maxPercent)}%)`,
      ),
    );
  }
  for (const failed of results.summary.errors) {
    const file = failed.syn || failed.ref;
    const message = failed.error || `${file}: ${failed.status}`;
    fileLines.push(workflowCommand('error', { file: filePath(file), title: `tts-critic: ${failed.status}` }, message));
  }
  lines.push(...fileLines.slice(0, maxFiles));
  // The comparison lists only its worst regressions, the summary its first failures: the ones
  // they did not list count too.
  const unlisted =
    (results.baseline ? results.baseline.regressionCount - results.baseline.regressions.length : 0) + failureCount(results.summary) - results.summary.errors.length;
  const more = fileLines.length + unlisted - Math.min(maxFiles, fileLines.length);
  if (more > 0) {
    lines.push(workflowCommand('error', { title: 'tts-critic' }, `… and ${more} more failed files; see the step summary or the report`));
  }
  return lines;
}

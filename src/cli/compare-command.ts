/**
 * `tts-critic compare A.jsonl B.jsonl [C ...]`: which system is better, and is it real. Reads
 * the reports (streaming JSONL), runs `compareReports`, and writes the terminal table, CSV,
 * JSON, Markdown or the HTML page; in GitHub Actions the Markdown also goes to the step summary.
 * A comparison has no gate: it exits 0, or 2 for a usage error (mismatched models included).
 */
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, messageOf } from '../errors.js';
import { compareReports } from '../quality/compare.js';
import type { ComparisonResult } from '../report/comparison.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { renderCompareCsv, renderCompareJson, renderCompareMarkdown, renderCompareText } from '../report/compare-views.js';
import { AtomicFileSink, StreamSink } from '../report/sink.js';
import { VERSION } from '../version.js';
import { say, type CliIO } from './io.js';

export const COMPARE_FORMATS = ['text', 'csv', 'json', 'markdown', 'html'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export interface CompareFlags {
  readonly names?: string;
  readonly metric?: string;
  readonly reference?: string;
  readonly alpha?: number;
  readonly resamples?: number;
  readonly seed?: number;
  readonly format?: CompareFormat;
  readonly output?: string;
  readonly quiet?: boolean;
}

const EXTENSIONS: Readonly<Record<string, CompareFormat>> = {
  '.csv': 'csv',
  '.json': 'json',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
};

function list(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`invalid ${flag} "${text}": an empty entry`);
  return items;
}

/** A relative URL from `fromDir` to the first existing place `file` (as written in `report`) resolves to. */
function audioLinker(reports: readonly string[], fromDir: string): (system: number, file: string) => string | null {
  return (system, file) => {
    const candidates = path.isAbsolute(file) ? [file] : [path.resolve(file), path.resolve(path.dirname(reports[system]!), file)];
    const found = candidates.find((c) => existsSync(c));
    if (!found) return null;
    return path.relative(fromDir, found).split(path.sep).map(encodeURIComponent).join('/');
  };
}

export function renderComparison(result: ComparisonResult, format: CompareFormat, options: { readonly reports: readonly string[]; readonly outputDir: string }): string {
  switch (format) {
    case 'text':
      return renderCompareText(result);
    case 'csv':
      return renderCompareCsv(result);
    case 'json':
      return renderCompareJson(result, VERSION);
    case 'markdown':
      return renderCompareMarkdown(result);
    case 'html':
      return renderCompareHtml(result, { version: VERSION, audioHref: audioLinker(options.reports, options.outputDir) });
  }
}

export async function compareCommand(files: readonly string[], flags: CompareFlags, io: CliIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (files.length < 2) throw new UsageError('compare needs at least two reports (CSV, JSON or JSONL scores), one per system');
  const format = flags.format ?? (flags.output ? EXTENSIONS[path.extname(flags.output).toLowerCase()] : undefined) ?? 'text';
  const result = await compareReports(files, {
    names: list(flags.names, '--names'),
    metrics: list(flags.metric, '--metric'),
    ...(flags.reference !== undefined ? { reference: flags.reference } : {}),
    ...(flags.alpha !== undefined ? { alpha: flags.alpha } : {}),
    ...(flags.resamples !== undefined ? { resamples: flags.resamples } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  });
  const outputDir = flags.output ? path.dirname(path.resolve(flags.output)) : process.cwd();
  const text = renderComparison(result, format, { reports: files, outputDir });
  const sink = flags.output ? new AtomicFileSink(flags.output) : new StreamSink(io.stdout);
  sink.write(text);
  await sink.commit();
  // With -o, the table still goes to stderr so a CI log shows the verdict.
  if (flags.output && !flags.quiet && format !== 'text') io.stderr.write(renderCompareText(result));
  if (env['GITHUB_ACTIONS'] === 'true' && env['GITHUB_STEP_SUMMARY']) {
    try {
      await appendFile(env['GITHUB_STEP_SUMMARY'], `${renderCompareMarkdown(result)}\n`);
    } catch (error) {
      say(io, `warning: could not append to GITHUB_STEP_SUMMARY (${env['GITHUB_STEP_SUMMARY']}): ${messageOf(error)}`);
    }
  }
  return 0;
}

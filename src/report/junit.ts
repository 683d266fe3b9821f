/**
 * `--format junit`: JUnit XML as Jenkins, GitLab and GitHub test reporters read it: the
 * Ant/Surefire layout (the test validates it against a schema of that layout with xmllint).
 *
 *   <testsuites>
 *     <testsuite name="tts-critic files">   one <testcase> per pair; error and unpaired rows
 *                                           are <failure>s with their message
 *     <testsuite name="tts-critic gates">   one <testcase> per --fail-if gate and per metric
 *                                           checked against --baseline; each failed one is a
 *                                           <failure> of its own (only when there are gates)
 *
 * Ok pairs carry their main metrics in <system-out>. Per-pair time is not measured; `time="0"`
 * is written anyway because some readers parse the attribute as a number without a default.
 */
import { mainMetrics, numberCell, rowKey, textCell } from './columns.js';
import type { Formatter, ReportResults } from './formatter.js';
import { formatNumber } from './stats.js';
import { modelFacts, modelRows } from './views.js';

/**
 * Characters XML 1.0 cannot hold at all, even escaped (C0 controls other than tab, LF, CR;
 * lone surrogates; U+FFFE/U+FFFF): a hostile file name must still give a readable document,
 * so they are written as visible `\xNN` / `\uNNNN` text.
 */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function visible(text: string): string {
  return text.replace(NOT_XML, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Element text. */
export function xmlText(text: string): string {
  return visible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value in double quotes; tab, LF and CR as references so parsers keep them. */
export function xmlAttribute(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlAttribute(String(value))}"`)
    .join('');
}

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly failure: { readonly type: string; readonly message: string; readonly details: string } | null;
  readonly out: string;
}

function caseXml(c: Case): string {
  const head = `    <testcase${attributes({ classname: c.classname, name: c.name, time: 0 })}`;
  const failure = c.failure
    ? `\n      <failure${attributes({ type: c.failure.type, message: c.failure.message })}>${xmlText(c.failure.details)}</failure>`
    : '';
  const out = c.out !== '' ? `\n      <system-out>${xmlText(c.out)}</system-out>` : '';
  return failure || out ? `${head}>${failure}${out}\n    </testcase>` : `${head}/>`;
}

function suiteXml(name: string, cases: readonly Case[], properties: [string, string][] = []): string {
  const failures = cases.filter((c) => c.failure).length;
  const props =
    properties.length > 0
      ? `\n    <properties>${properties.map(([n, v]) => `\n      <property${attributes({ name: n, value: v })}/>`).join('')}\n    </properties>`
      : '';
  const body = cases.map((c) => `\n${caseXml(c)}`).join('');
  return `  <testsuite${attributes({ name, tests: cases.length, failures, errors: 0, skipped: 0, time: 0 })}>${props}${body}\n  </testsuite>`;
}

function fileCases(results: ReportResults): Case[] {
  const metrics = mainMetrics(results.columns);
  return results.rows.map((row) => {
    const status = textCell(row, 'status');
    const ref = textCell(row, 'ref');
    const name = rowKey(row);
    if (status === 'ok') {
      const scores = metrics
        .map((m) => [m, numberCell(row, m)] as const)
        .filter(([, v]) => v !== null)
        .map(([m, v]) => `${m}=${formatNumber(v)}`)
        .join(' ');
      return { classname: 'tts-critic.files', name, failure: null, out: `${ref !== '' ? `ref: ${ref}\n` : ''}${scores}` };
    }
    const message = textCell(row, 'error') || (status === 'unpaired' ? `${name}: no partner file` : `${name}: not scored`);
    return {
      classname: 'tts-critic.files',
      name,
      failure: { type: status || 'error', message, details: `${status}: ${message}${ref !== '' && ref !== name ? `\nref: ${ref}` : ''}` },
      out: '',
    };
  });
}

function gateCases(results: ReportResults): Case[] {
  const cases: Case[] = results.gates.map((g) => ({
    classname: 'tts-critic.gates',
    name: g.gate.source,
    failure: g.passed ? null : { type: 'gate', message: g.message, details: g.message },
    out: g.passed ? g.message : '',
  }));
  const b = results.baseline;
  if (b) {
    // --regression-test: one case per tested mean (the CI's test view must show the failure).
    for (const t of b.meanTests ?? []) {
      cases.push({
        classname: 'tts-critic.regression-test',
        name: `mean ${t.column} vs baseline ${b.source} (at most ${formatNumber(t.minEffectPercent)}% worse, alpha ${formatNumber(t.alpha)})`,
        failure: t.failed ? { type: 'regression-test', message: t.message, details: t.message } : null,
        out: t.failed ? '' : t.message,
      });
    }
    if (b.perFile === false) return cases;
    for (const m of b.metrics) {
      const regressions = b.regressions.filter((r) => r.column === m.column);
      const count = b.regressionCounts[m.column] ?? regressions.length;
      const name = `${m.column} vs baseline ${b.source} (at most ${formatNumber(m.maxPercent)}% worse per file)`;
      const summary = `${m.compared} files compared; mean ${formatNumber(m.mean)} (baseline ${formatNumber(m.baselineMean)})`;
      if (count === 0) {
        cases.push({ classname: 'tts-critic.baseline', name, failure: null, out: summary });
        continue;
      }
      const lines = regressions.map(
        (r) => `${r.file}: ${formatNumber(r.baseline)} -> ${formatNumber(r.value)} (${r.changePercent === null ? 'baseline 0' : `${r.changePercent >= 0 ? '+' : ''}${formatNumber(Number(r.changePercent.toFixed(2)))}%`})`,
      );
      cases.push({
        classname: 'tts-critic.baseline',
        name,
        failure: {
          type: 'regression',
          message: `${count} file${count === 1 ? '' : 's'} regressed in ${m.column} beyond ${formatNumber(m.maxPercent)}%`,
          details: `${summary}\n${lines.join('\n')}${count > lines.length ? `\n... and ${count - lines.length} more` : ''}`,
        },
        out: '',
      });
    }
  }
  return cases;
}

export function renderJunit(results: ReportResults): string {
  const files = fileCases(results);
  const gates = gateCases(results);
  const properties: [string, string][] = [['tool', `tts-critic ${results.version}`], ...modelFacts(results, modelRows(results))];
  if (results.summary.interrupted) properties.push(['interrupted', 'true: only the files finished before the stop are included']);
  const suites = [suiteXml('tts-critic files', files, properties)];
  if (gates.length > 0) suites.push(suiteXml('tts-critic gates', gates));
  const all = [...files, ...gates];
  const failures = all.filter((c) => c.failure).length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites${attributes({ name: 'tts-critic', tests: all.length, failures, errors: 0, time: 0 })}>\n${suites.join('\n')}\n</testsuites>\n`
  );
}

/** JUnit XML: written whole at the end. */
export const junitFormatter: Formatter = {
  tail: renderJunit,
  // One <testcase> per file: JUnit keeps every row (use CSV/JSONL plus HTML for huge runs).
  rows: 'all',
  digest: true,
};

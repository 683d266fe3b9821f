/**
 * `--format junit`: one testcase per pair, error and unpaired rows as failures with their
 * message, one testcase per gate and baseline metric, each failed one a failure of its own;
 * valid against the JUnit XML schema CI reporters follow (test/fixtures/junit/junit.xsd, xmllint), also with hostile file names, and read
 * back with a real XML parser.
 */
import { describe, expect, it } from '@jest/globals';
import { renderJunit, xmlAttribute, xmlText } from '../../src/report/junit.js';
import { haveTool } from '../helpers/system-tools.js';
import { failedResult, okResult, TRICKY_PATHS } from './helpers.js';
import { parseJunit, validateJunit } from './junit-schema.js';
import { sampleResults, viewResults } from './view-fixtures.js';

const withXmllint = haveTool('xmllint', 'libxml2-utils', 'validating JUnit XML against its schema') ? it : it.skip;

describe('JUnit XML', () => {
  const before = sampleResults();
  const after = [okResult('out/u1.wav', 0.2), ...before.slice(1)];
  const results = viewResults(after, { gates: ['mean(fm) > 0.3', 'max(fm) > 10'], baseline: before });
  const xml = renderJunit(results);

  it('has a testcase per pair; error and unpaired ones fail with their message', () => {
    const parsed = parseJunit(xml);
    const files = parsed.suites.find((s) => s.name === 'tts-critic files')!;
    expect(files.cases.map((c) => c.name)).toEqual([...[1, 2, 3, 4, 5, 6].map((i) => `out/u${i}.wav`), 'out/bad.wav', 'ref/lonely.wav']);
    expect([files.tests, files.failures, files.errors]).toEqual([8, 2, 0]);
    const bad = files.cases.find((c) => c.name === 'out/bad.wav')!;
    expect(bad.failure).toEqual({
      type: 'error',
      message: 'out/bad.wav: data chunk declares 64000 bytes but the file ends after 1000',
      text: 'error: out/bad.wav: data chunk declares 64000 bytes but the file ends after 1000',
    });
    expect(files.cases.find((c) => c.name === 'ref/lonely.wav')!.failure!.type).toBe('unpaired');
    const ok = files.cases[1]!;
    expect(ok.failure).toBeNull();
    expect(ok.out).toBe('ref: ref/u2.wav\nfm=0.2 gen=1.06667 real=0.6 fake=0.778571 disc=1.37857 mel_l1=0.4');
    expect(files.properties['family']).toBe('gpt-sovits');
    expect(files.properties['tool']).toBe('tts-critic 9.9.9');
  });

  it('makes each gate and baseline metric a testcase; failed ones fail on their own', () => {
    const parsed = parseJunit(xml);
    const gates = parsed.suites.find((s) => s.name === 'tts-critic gates')!;
    expect(gates.cases.map((c) => [c.name, c.failure?.type ?? 'passed'])).toEqual([
      ['mean(fm) > 0.3', 'gate'],
      ['max(fm) > 10', 'passed'],
      ['fm vs baseline base.jsonl (at most 5% worse per file)', 'regression'],
      ['mel_l1 vs baseline base.jsonl (at most 5% worse per file)', 'regression'],
    ]);
    expect(gates.cases[0]!.failure!.message).toMatch(/^gate "mean\(fm\) > 0.3" failed: mean\(fm\) = 0.366667 over 6 files/);
    expect(gates.cases[2]!.failure!.text).toContain('out/u1.wav: 0.1 -> 0.2 (+100%)');
    expect([gates.tests, gates.failures]).toEqual([4, 3]);
    expect([parsed.tests, parsed.failures]).toEqual([12, 5]);
  });

  it('counts the regressions of a metric beyond those the comparison lists', () => {
    const b = results.baseline!;
    const fm = b.regressionCounts['fm']!;
    const unlisted = { ...results, baseline: { ...b, regressionCount: b.regressionCount + 2000, regressionCounts: { ...b.regressionCounts, fm: fm + 2000 } } };
    const gates = parseJunit(renderJunit(unlisted)).suites.find((s) => s.name === 'tts-critic gates')!;
    const failure = gates.cases[2]!.failure!;
    expect(failure.message).toBe(`${fm + 2000} files regressed in fm beyond 5%`);
    expect(failure.text).toMatch(/\n\.\.\. and 2000 more$/);
  });

  it('has no gate suite when there are no gates', () => {
    const parsed = parseJunit(renderJunit(viewResults([okResult('out/a.wav', 0.1)])));
    expect(parsed.suites.map((s) => s.name)).toEqual(['tts-critic files']);
    expect([parsed.tests, parsed.failures]).toEqual([1, 0]);
  });

  withXmllint('validates against the JUnit schema, also with hostile names and messages', () => {
    expect(validateJunit(xml)).toEqual({ status: 0, output: expect.stringContaining('validates') });
    const hostile = [...TRICKY_PATHS, 'out/ctrl\u0001\u001b[31m.wav', 'out/<tag attr="x">&amp;.xml', 'out/lone\ud800surrogate.wav'];
    const tricky = viewResults(
      hostile.map((p, i) => (i % 2 === 0 ? okResult(p, 0.1 * (i + 1)) : failedResult(p, `${p}: broken ]]> <![CDATA[ "quoted"`))),
      { gates: ['fm > 0.2'] },
    );
    const trickyXml = renderJunit(tricky);
    expect(validateJunit(trickyXml).status).toBe(0);
    const names = parseJunit(trickyXml).suites[0]!.cases.map((c) => c.name);
    // Everything XML can hold comes back exactly; what it cannot is shown escaped.
    expect(names.slice(0, TRICKY_PATHS.length)).toEqual([...TRICKY_PATHS]);
    expect(names.slice(TRICKY_PATHS.length)).toEqual(['out/ctrl\\x01\\x1b[31m.wav', 'out/<tag attr="x">&amp;.xml', 'out/lone\\ud800surrogate.wav']);
  });

  withXmllint('the schema refuses what reporters cannot read (so the validation above can fail)', () => {
    expect(validateJunit('<testsuites><testsuite tests="1"><testcase name="a"/></testsuite></testsuites>').status).not.toBe(0);
    expect(validateJunit('<testsuites><testsuite name="s" tests="1"><testcase/></testsuite></testsuites>').status).not.toBe(0);
    expect(validateJunit('<testsuites><testsuite name="s" tests="-1"/></testsuites>').status).not.toBe(0);
    expect(validateJunit('<testsuites><testsuite name="s" tests="1"><testcase name="a"><system-out/><failure/></testcase></testsuite></testsuites>').status).not.toBe(0);
  });

  it('escapes text and attributes', () => {
    expect(xmlText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(xmlAttribute('"x"\n\ty\r')).toBe('&quot;x&quot;&#10;&#9;y&#13;');
  });
});

/** JUnit XML checks shared by the unit and CLI tests (not a test file itself). */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { REPO_ROOT } from '../helpers/golden.js';
import { removeDir, tempDir } from '../helpers/temp.js';

/** The JUnit XML layout CI reporters read, as an XML schema of our own (see the file's comment). */
export const JUNIT_XSD = path.join(REPO_ROOT, 'test', 'fixtures', 'junit', 'junit.xsd');

/** `xmllint --schema junit.xsd`: exit status and what it said. */
export function validateJunit(xml: string): { status: number | null; output: string } {
  const dir = tempDir('junit');
  try {
    const file = path.join(dir, 'report.xml');
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    removeDir(dir);
  }
}

export interface ParsedCase {
  readonly classname: string;
  readonly name: string;
  readonly failure: { readonly type: string; readonly message: string; readonly text: string } | null;
  readonly out: string | null;
}

export interface ParsedSuite {
  readonly name: string;
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly properties: Record<string, string>;
  readonly cases: ParsedCase[];
}

export interface ParsedJunit {
  readonly tests: number;
  readonly failures: number;
  readonly suites: ParsedSuite[];
}

type Node = Record<string, unknown>;
const list = (value: unknown): Node[] => (value === undefined ? [] : Array.isArray(value) ? (value as Node[]) : [value as Node]);

/** Parses JUnit XML with a real XML parser (well-formedness checked first). */
export function parseJunit(xml: string): ParsedJunit {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: true, // also numeric character references (&#10;), which XML attributes need
    textNodeName: '#text',
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml) as Node;
  const root = doc['testsuites'] as Node;
  const text = (node: unknown): string => (typeof node === 'string' ? node : ((node as Node | undefined)?.['#text'] as string | undefined) ?? '');
  return {
    tests: Number(root['@tests']),
    failures: Number(root['@failures']),
    suites: list(root['testsuite']).map((suite) => ({
      name: suite['@name'] as string,
      tests: Number(suite['@tests']),
      failures: Number(suite['@failures']),
      errors: Number(suite['@errors']),
      properties: Object.fromEntries(list((suite['properties'] as Node | undefined)?.['property']).map((p) => [p['@name'] as string, p['@value'] as string])),
      cases: list(suite['testcase']).map((c) => {
        const failure = c['failure'] as Node | undefined;
        return {
          classname: c['@classname'] as string,
          name: c['@name'] as string,
          failure: failure ? { type: failure['@type'] as string, message: failure['@message'] as string, text: text(failure) } : null,
          out: c['system-out'] === undefined ? null : text(c['system-out']),
        };
      }),
    })),
  };
}

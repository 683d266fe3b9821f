/** `report` sits at the bottom: cli → pipeline → quality → report, never the other way. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const reportDir = join(process.cwd(), 'src', 'report');
const files = readdirSync(reportDir).filter((f) => f.endsWith('.ts'));

function importsOf(file: string): string[] {
  const text = readFileSync(join(reportDir, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('src/report imports', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(importsOf('formats.ts')).toContain('./csv.js');
  });

  it.each(files)('%s imports nothing from quality, pipeline, cli, engine, audio, checkpoint or model', (file) => {
    for (const specifier of importsOf(file)) {
      expect([specifier, /^\.\.\/(quality|pipeline|cli|engine|audio|checkpoint|model)(\/|\.js$)/.test(specifier)]).toEqual([specifier, false]);
    }
  });
});

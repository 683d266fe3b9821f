/**
 * Golden parity through the CLI (in-process, `main()`), read back from the JSON report: every
 * checkpoint format and family whole-file (each field of the record against the golden, so
 * the report carries what the library computed), and the full-size untrained cases segmented
 * (window placement and the plain mean through createScorer). The untrained whole-file values
 * are checked through the library API in golden/untrained.test.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMain } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { CHECKPOINT_CASES, expectGoldenResult, expectRelativeClose, goldenCase, TOLERANCE, type GoldenCase } from '../helpers/golden.js';

type JsonRecord = Record<string, unknown> & { fm_layers: Record<string, number[]> };

let dir: string;
beforeAll(() => {
  dir = tempDir('golden-cli');
});
afterAll(() => removeDir(dir));

/** Scores one golden pair through a --pairs manifest and returns the JSON record. */
async function scoreGolden(golden: GoldenCase, args: string[]): Promise<{ record: JsonRecord; model: Record<string, unknown> }> {
  const manifest = path.join(dir, `${golden.name}.csv`);
  writeFileSync(manifest, `ref,syn\n"${golden.ref}","${golden.syn}"\n`);
  // The golden values are for the files as they are (test/align/offset.test.ts shows that the
  // default alignment finds 0 on them): pinned so that parity never depends on the aligner.
  const run = await runMain(['score', '--pairs', manifest, '--format', 'json', '--quiet', '--align', 'none', ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as { files: JsonRecord[]; model: Record<string, unknown> };
  expect(doc.files).toHaveLength(1);
  return { record: doc.files[0]!, model: doc.model };
}

/** The JSON record in the shape expectGoldenResult checks. */
function asResult(record: JsonRecord, subs: readonly string[]) {
  return {
    status: record.status as string,
    totals: { fm: record.fm as number, gen: record.gen as number, disc: record.disc as number },
    subs: subs.map((name) => ({
      name,
      fm: record[`fm_${name}`] as number,
      gen: record[`gen_${name}`] as number,
      real: record[`real_${name}`] as number,
      fake: record[`fake_${name}`] as number,
      fmLayers: record.fm_layers[name]!,
    })),
  };
}

test.each([
  ['gpt-sovits-untrained-full', 'gpt-sovits'],
  ['sovits5-untrained-full', 'sovits5'],
])('golden %s through the CLI: --family, no weights, --segment L/sample_rate', async (caseName, family) => {
  const golden = goldenCase(caseName);
  const seg = golden.expected.segmented!;
  const seconds = String(seg.segment / golden.expected.sample_rate);
  const { record, model } = await scoreGolden(golden, ['--family', family, '--segment', seconds]);
  expect(model.weights).toBe('untrained');
  expect(model.segment_samples).toBe(seg.segment);
  expect(record.weights).toBe('untrained:seed=0');
  expect(record.windows).toBe(seg.starts.length);
  expectRelativeClose(record.fm as number, seg.mean.fm, TOLERANCE.total, 'segmented fm');
  expectRelativeClose(record.gen as number, seg.mean.gen, TOLERANCE.total, 'segmented gen');
  expectRelativeClose(record.disc as number, seg.mean.disc, TOLERANCE.total, 'segmented disc');
}, 60_000);

test.each(CHECKPOINT_CASES)('golden %s through the CLI (--weights, --segment 0)', async (name) => {
  const golden = goldenCase(name);
  const { record, model } = await scoreGolden(golden, ['--weights', golden.checkpoint!, '--segment', '0']);
  expect(model.weights).toBe('checkpoint');
  expect(String(record.weights)).toMatch(/^sha256:[0-9a-f]{64}$/);
  expectGoldenResult(asResult(record, model.subs as string[]), golden);
});

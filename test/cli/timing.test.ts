/**
 * Timing through the library and the CLI (in-process): `--align offset` removes a constant delay
 * so that fm comes back to the unshifted pair's value, `offset_ms`, `mel_dtw` and `warning`
 * columns, the stderr note, and the columns in gates, merge and baselines.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { melDtwStreamed } from '../../src/align/mel-dtw.js';
import { openAudio } from '../../src/audio/index.js';
import { createScorer, type PairResult, type Scorer } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/golden.js';
import { messages, parseCsvText, parseJsonlText, removeDir, tempDir, writeTinyCheckpoint, type Rec } from '../helpers/pipeline-fixtures.js';
import { delayed, pcm16, speechLike } from '../helpers/speech.js';
import { mulberry32, writeWav } from '../helpers/wav-corpus.js';

const RATE = 32000;
let root: string;
let reference: Float32Array;
let synthesized: Float32Array;

async function writeAudio(relative: string, samples: Float32Array, rate = RATE): Promise<string> {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, writeWav({ format: 'pcm16', sampleRate: rate, samples: pcm16(samples) }));
  return file;
}

beforeAll(async () => {
  root = tempDir('timing');
  await writeTinyCheckpoint(path.join(root, 'D.pth'), { seed: 1 });
  reference = speechLike(1.5, RATE, 101);
  // A "synthesized" version: low-passed, with a little noise.
  const random = mulberry32(17);
  let previous = 0;
  synthesized = reference.map((v) => {
    previous = 0.5 * previous + 0.5 * v;
    return previous + 0.01 * (random() - 0.5);
  });
  await writeAudio('plain/ref.wav', reference);
  await writeAudio('plain/syn.wav', synthesized);
});
afterAll(() => removeDir(root));

describe('--align offset through the library: delays removed, fm as for the unshifted pair', () => {
  let aligned: Scorer;
  let unaligned: Scorer;
  let plain: PairResult;
  beforeAll(async () => {
    aligned = await createScorer({ weights: path.join(root, 'D.pth') });
    unaligned = await createScorer({ weights: path.join(root, 'D.pth'), align: 'none' });
    plain = await unaligned.scoreFiles(path.join(root, 'plain/ref.wav'), path.join(root, 'plain/syn.wav'));
  });
  afterAll(async () => {
    await aligned?.dispose();
    await unaligned?.dispose();
  });

  test('the plain pair: the aligner finds 0 and changes nothing', async () => {
    expect(plain).toMatchObject({ status: 'ok', offsetMs: null, warning: '' });
    const same = await aligned.scoreFiles(path.join(root, 'plain/ref.wav'), path.join(root, 'plain/syn.wav'));
    expect(same).toMatchObject({ status: 'ok', offsetMs: 0, warning: '' });
    expect(same.totals).toEqual(plain.totals);
  });

  test.each([1, 10000])('syn delayed and advanced by %i samples: exact offset, fm within 1e-3 of the unshifted pair', async (d) => {
    const cases = [
      { name: `delay-${d}`, ref: reference, syn: delayed(synthesized, d), offset: d },
      { name: `advance-${d}`, ref: delayed(reference, d), syn: synthesized, offset: -d },
    ];
    for (const c of cases) {
      const ref = await writeAudio(`${c.name}/ref.wav`, c.ref);
      const syn = await writeAudio(`${c.name}/syn.wav`, c.syn);
      const result = await aligned.scoreFiles(ref, syn);
      expect(result).toMatchObject({ status: 'ok', warning: '', windows: plain.windows });
      expect(result.offsetMs).toBe((1000 * c.offset) / RATE);
      const relative = (key: 'fm' | 'melL1') => Math.abs(result.totals![key]! - plain.totals![key]!) / plain.totals![key]!;
      expect(relative('fm')).toBeLessThan(1e-3);
      expect(relative('melL1')).toBeLessThan(1e-3);
      if (d < 10000) continue;
      // Unaligned, the same pair scores far worse (what the alignment is for), and mel_dtw, which
      // compares the whole files, is the same either way.
      const without = await unaligned.scoreFiles(ref, syn);
      expect(without.totals!.fm!).toBeGreaterThan(1.1 * plain.totals!.fm!);
      expect(without.totals!.melDtw).toBe(result.totals!.melDtw);
      const [r, s] = await Promise.all([openAudio(ref), openAudio(syn)]);
      const expected = await melDtwStreamed(
        (start, length) => r.read(32000, start, length),
        r.lengthAt(32000),
        (start, length) => s.read(32000, start, length),
        s.lengthAt(32000),
      );
      await Promise.all([r.close(), s.close()]);
      expect(result.totals!.melDtw).toBe(expected);
    }
  });

  test('options are checked', async () => {
    await expect(createScorer({ align: 'sideways' as never })).rejects.toThrow(/--align must be one of offset, none/);
    await expect(createScorer({ maxOffset: 0 })).rejects.toThrow(/--max-offset must be a positive number/);
  });
});

describe('warnings and the stderr note (CLI, in-process)', () => {
  let records: Map<string, Rec>;
  let stderr: string;
  beforeAll(async () => {
    await writeAudio('w/ref/equal.wav', reference);
    await writeAudio('w/syn/equal.wav', synthesized);
    await writeAudio('w/ref/delayed.wav', reference);
    await writeAudio('w/syn/delayed.wav', delayed(synthesized, 3200));
    await writeAudio('w/ref/short.wav', reference);
    await writeAudio('w/syn/short.wav', synthesized.subarray(0, Math.round(0.8 * synthesized.length)));
    const random = mulberry32(3);
    await writeAudio('w/ref/noise.wav', reference);
    await writeAudio('w/syn/noise.wav', Float32Array.from(reference, () => 0.3 * (random() - 0.5)));
    const run = await runMain(['score', 'w/ref', 'w/syn', '-w', 'D.pth', '--format', 'jsonl', '-o', 'w.jsonl'], { cwd: root });
    expect(run.code).toBe(0);
    stderr = run.stderr;
    records = new Map(parseJsonlText(await readFile(path.join(root, 'w.jsonl'), 'utf8')).map((r) => [String(r.syn), r]));
  });

  test('unequal lengths and unalignable pairs carry a warning naming the reason; the others none', () => {
    expect(records.get('w/syn/equal.wav')).toMatchObject({ status: 'ok', offset_ms: 0, warning: '' });
    // 100 ms of delay: removed, and the parts compared have equal lengths again.
    expect(records.get('w/syn/delayed.wav')).toMatchObject({ status: 'ok', offset_ms: 100, warning: '' });
    expect(records.get('w/syn/short.wav')).toMatchObject({ status: 'ok', offset_ms: 0, warning: 'durations differ by 20% (ref 1.50 s, syn 1.20 s)' });
    const noise = records.get('w/syn/noise.wav')!;
    expect(noise).toMatchObject({ status: 'ok', offset_ms: null });
    expect(noise.warning).toMatch(/^no clear offset: the synthesized file keeps a steady level \(it varies by 0\.\d dB\), nothing to align on; scored without a shift$/);
    for (const r of records.values()) expect(typeof r.mel_dtw).toBe('number');
  });

  test('stderr says once that fm/mel_l1 assume aligned pairs, and what to use instead', () => {
    const notes = messages(stderr).filter((line) => line.includes('note:'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('2 of 4 scored pairs carry a warning');
    for (const pointer of ['--align offset', 'mel_dtw', '--syn-only']) expect(notes[0]).toContain(pointer);
  });

  test('--align none: no offsets, no alignment warnings; --quiet: no note; mel_dtw compared with a baseline', async () => {
    const run = await runMain(
      ['score', 'w/ref', 'w/syn', '-w', 'D.pth', '--format', 'jsonl', '--align', 'none', '-q', '--baseline', 'w.jsonl', '--max-regression', 'mel_dtw=1'],
      { cwd: root },
    );
    // mel_dtw compares the whole files, aligned or not: no regression.
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const rows = new Map(parseJsonlText(run.stdout).map((r) => [String(r.syn), r]));
    for (const r of rows.values()) expect([r.syn, r.offset_ms, r.mel_dtw]).toEqual([r.syn, null, records.get(String(r.syn))!.mel_dtw]);
    expect(rows.get('w/syn/noise.wav')!.warning).toBe('');
    expect(rows.get('w/syn/short.wav')!.warning).toBe('durations differ by 20% (ref 1.50 s, syn 1.20 s)');
    // Unaligned, the 100 ms delay leaves 6.25% of the longer file unmatched.
    expect(rows.get('w/syn/delayed.wav')!.warning).toBe('durations differ by 6.3% (ref 1.50 s, syn 1.60 s)');
  });

  test('the repository fixtures: no warnings and no note, aligned or not', async () => {
    for (const align of ['offset', 'none']) {
      const run = await runMain(['score', path.join(REPO_ROOT, 'fixtures/ref'), path.join(REPO_ROOT, 'fixtures/syn'), '-w', 'D.pth', '--format', 'jsonl', '--align', align], { cwd: root });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('note:');
      const rows = parseJsonlText(run.stdout);
      expect(rows).toHaveLength(3);
      for (const r of rows) expect([r.syn, r.warning, r.offset_ms]).toEqual([r.syn, '', align === 'offset' ? 0 : null]);
    }
  });

  test('mel_dtw and offset_ms are gateable; warning survives CSV and merge', async () => {
    const gate = await runMain(['score', 'w/ref', 'w/syn', '-w', 'D.pth', '-q', '--fail-if', 'mean(mel_dtw) > 0.001', '--fail-if', 'max(offset_ms) > 50', '-o', 'w.csv'], {
      cwd: root,
    });
    expect(gate.code).toBe(1);
    expect(gate.stderr).toMatch(/mean\(mel_dtw\) > 0\.001/);
    expect(gate.stderr).toMatch(/max\(offset_ms\) > 50/);
    const csv = parseCsvText(await readFile(path.join(root, 'w.csv'), 'utf8'));
    const merged = await runMain(['merge', 'w.csv', '--format', 'jsonl', '-q'], { cwd: root });
    expect(merged.code).toBe(0);
    for (const rows of [csv, parseJsonlText(merged.stdout)]) {
      expect(rows).toHaveLength(4);
      for (const r of rows) {
        const original = records.get(String(r.syn))!;
        expect([r.syn, r.mel_dtw, r.offset_ms, r.warning]).toEqual([r.syn, original.mel_dtw, original.offset_ms, original.warning]);
      }
    }
    const syn = await runMain(['score', '--syn-only', 'w/syn', '-w', 'D.pth', '-q', '--fail-if', 'mean(mel_dtw) > 1'], { cwd: root });
    expect(syn.code).toBe(2);
    expect(syn.stderr).toMatch(/"mel_dtw" needs a reference recording/);
  });

  test('a decoder warning (a cut-short WAV) reaches the warning column, with no timing note', async () => {
    // One byte short of what the data chunk declares: the decoder keeps the whole frames before it.
    const whole = await readFile(path.join(root, 'plain/syn.wav'));
    await mkdir(path.join(root, 'cut/syn'), { recursive: true });
    await mkdir(path.join(root, 'cut/ref'), { recursive: true });
    await writeFile(path.join(root, 'cut/ref/a.wav'), await readFile(path.join(root, 'plain/ref.wav')));
    await writeFile(path.join(root, 'cut/syn/a.wav'), whole.subarray(0, whole.length - 1));
    const run = await runMain(['score', 'cut/ref', 'cut/syn', '-w', 'D.pth', '--format', 'jsonl'], { cwd: root });
    expect(run.code).toBe(0);
    const [row] = parseJsonlText(run.stdout);
    expect(row).toMatchObject({ status: 'ok', offset_ms: 0 });
    expect(row!.warning).toBe('syn file: data chunk declares 96000 bytes but the file ends after 95999 of them; using the 47999 whole frames present');
    expect(run.stderr).not.toContain('note:');
  });

  test('bad --align / --max-offset values are usage errors', async () => {
    expect((await runMain(['score', 'w/ref', 'w/syn', '--align', 'sideways'], { cwd: root })).code).toBe(2);
    expect((await runMain(['score', 'w/ref', 'w/syn', '--max-offset', '0'], { cwd: root })).code).toBe(2);
    expect((await runMain(['score', 'w/ref', 'w/syn', '--max-offset', 'x'], { cwd: root })).code).toBe(2);
  });
});

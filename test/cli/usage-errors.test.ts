/**
 * Clear top-level errors through the CLI (in-process, `main()`): every usage or configuration
 * mistake gives a line or two of plain words on stderr, no stack trace (unless --debug), no
 * report on stdout, nothing left behind, and exit code 2. Also --help, --version and the bare
 * command. (That the installed launcher exits with these codes: test/e2e/package.test.ts.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pythonCall, torchZip, writeCheckpointFile } from '../support/checkpoint-writers/writers.js';
import { runMain, type CliRun } from '../helpers/cli.js';
import { removeDir, stackLines, tempDir, tempFilesIn, writeTinyCheckpoint, writeTone, REPO_ROOT } from '../helpers/e2e.js';

let dir: string;

beforeAll(async () => {
  dir = tempDir('usage');
  for (const side of ['ref', 'syn']) {
    await writeTone(path.join(dir, side, 'a.wav'), { seconds: 0.5, seed: side === 'ref' ? 1 : 2 });
  }
  mkdirSync(path.join(dir, 'empty'));
  mkdirSync(path.join(dir, 'only-text'));
  writeFileSync(path.join(dir, 'only-text', 'notes.txt'), 'no audio here\n');
  writeFileSync(path.join(dir, 'a-file.wav'), 'not a folder');
  await writeTinyCheckpoint(path.join(dir, 'tiny.pth'));
  const tiny = readFileSync(path.join(dir, 'tiny.pth'));
  // Cut short: no end-of-central-directory record.
  writeFileSync(path.join(dir, 'truncated.pth'), tiny.subarray(0, Math.floor(tiny.length / 3)));
  writeFileSync(path.join(dir, 'text.pth'), 'this is not a checkpoint\n');
  // A pickle that would run a shell command if it were unpickled by Python.
  const marker = path.join(dir, 'pwned');
  await writeCheckpointFile(path.join(dir, 'evil.pth'), torchZip(new Map([['weight', pythonCall('os', 'system', [`touch ${marker}`])]])));
}, 60_000);

afterAll(() => removeDir(dir));

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The common contract of a usage error. */
function expectUsageError(run: CliRun, pattern: RegExp): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(pattern) });
  expect(stackLines(run.stderr)).toEqual([]);
  expect(run.stderr).not.toMatch(/internal error|\w+Error:|node:internal|file:\/\//);
  // A line or two (plus, at most, the untrained-weights notice and a pointer to --help).
  expect(lines(run.stderr).length).toBeLessThanOrEqual(3);
  expect(run.stdout).toBe('');
}

const CASES: ReadonlyArray<[string, string[], RegExp]> = [
  ['a missing folder', ['score', 'no-such-dir', 'syn'], /reference folder not found: no-such-dir/],
  ['a missing synthesized folder', ['score', 'ref', 'nope'], /synthesized folder not found: nope/],
  ['an empty folder', ['score', 'ref', 'empty'], /no audio files \(\.wav, \.flac, \.mp3, \.ogg, \.opus\) found in synthesized folder empty/],
  ['a folder without audio', ['score', 'only-text', 'syn'], /no audio files \(\.wav, \.flac, \.mp3, \.ogg, \.opus\) found in reference folder only-text/],
  ['a file where a folder is expected', ['score', 'a-file.wav', 'syn'], /reference path is not a folder: a-file\.wav/],
  ['no folders at all', ['score'], /missing folders: use `tts-critic score REF_DIR SYN_DIR`/],
  ['an output folder that does not exist', ['score', 'ref', 'syn', '-o', '/nonexistent/dir/x.csv'], /cannot write output \/nonexistent\/dir\/x\.csv: folder \/nonexistent\/dir does not exist/],
  ['an output path that is a folder', ['score', 'ref', 'syn', '-o', 'empty'], /cannot write output empty: it is a folder/],
  ['--segment -1', ['score', 'ref', 'syn', '--segment', '-1'], /--segment.*'-1' is invalid.*0 \(whole files\) or a positive number of seconds/],
  ['--segment abc', ['score', 'ref', 'syn', '--segment', 'abc'], /--segment.*'abc' is invalid/],
  ['--seed abc', ['score', 'ref', 'syn', '--seed', 'abc'], /--seed.*'abc' is invalid.*integer from 0 to 4294967295/],
  ['--seed -3', ['score', 'ref', 'syn', '--seed', '-3'], /--seed.*'-3' is invalid/],
  ['--format xml', ['score', 'ref', 'syn', '--format', 'xml'], /--format.*'xml' is invalid.*csv, json, jsonl/],
  ['--device tpu', ['score', 'ref', 'syn', '--device', 'tpu'], /--device.*'tpu' is invalid.*cpu, webgpu, webgpu-software, cuda, auto/],
  ['--batch-size 0', ['score', 'ref', 'syn', '--batch-size', '0'], /--batch-size.*'0' is invalid.*integer from 1/],
  ['--batch-size 1.5', ['score', 'ref', 'syn', '--batch-size', '1.5'], /--batch-size.*'1\.5' is invalid/],
  ['--threads 0', ['score', 'ref', 'syn', '--threads', '0'], /--threads.*'0' is invalid/],
  ['an unknown option', ['score', 'ref', 'syn', '--colour'], /unknown option '--colour'/],
  ['an unknown command', ['scroe', 'ref', 'syn'], /unknown command 'scroe'/],
  ['too many folders', ['score', 'ref', 'syn', 'extra'], /too many arguments/],
  ['an unknown family', ['score', 'ref', 'syn', '--family', 'wavenet'], /unknown family "wavenet"; known families: gpt-sovits, .*bigvgan-v1/],
  ['an unknown zoo model', ['score', 'ref', 'syn', '--model', 'gpt-sovits-v9', '--offline'], /unknown model "gpt-sovits-v9"; known models: gpt-sovits-v1/],
  ['--weights and --model together', ['score', 'ref', 'syn', '--weights', 'tiny.pth', '--model', 'gpt-sovits-v2'], /either --weights FILE or --model NAME, not both/],
  ['a missing checkpoint', ['score', 'ref', 'syn', '--weights', 'missing.pth'], /cannot open checkpoint "missing\.pth"/],
  ['a truncated checkpoint', ['score', 'ref', 'syn', '--weights', 'truncated.pth'], /truncated\.pth: .*(damaged|truncated)/],
  ['a text file as checkpoint', ['score', 'ref', 'syn', '--weights', 'text.pth'], /text\.pth: not a PyTorch .* checkpoint/],
  ['a folder as checkpoint', ['score', 'ref', 'syn', '--weights', 'ref'], /checkpoint "ref" is a folder without "weights.pth" or "discriminator\/weights.pth"/],
  ['a checkpoint naming a foreign global', ['score', 'ref', 'syn', '--weights', 'evil.pth'], /evil\.pth: .*"os\.system".*refusing to load it \(nothing in the file was executed\)/],
  ['a checkpoint of another family', ['score', 'ref', 'syn', '--weights', 'tiny.pth', '--family', 'hifigan'], /missing key "mpd\.discriminators\.0\.convs\.0\.weight"/],
  ['a window too short for the family', ['score', 'ref', 'syn', '--weights', 'tiny.pth', '--segment', '0.0001'], /--segment 0\.0001 is too short for gpt-sovits: windows need at least 11 samples/],
  ['a missing --pairs file', ['score', '--pairs', 'pairs.csv'], /cannot read --pairs pairs\.csv \(ENOENT\)/],
];

test.each(CASES)('%s: plain words on stderr, exit 2', async (_name, args, pattern) => {
  const before = tempFilesIn(dir);
  const run = await runMain(args, { cwd: dir, env: { TTS_CRITIC_CACHE: path.join(dir, 'cache') } });
  expectUsageError(run, pattern);
  expect(tempFilesIn(dir)).toEqual(before);
});

test('the refused checkpoint ran nothing', () => {
  expect(() => readFileSync(path.join(dir, 'pwned'))).toThrow();
});

test('--debug adds a stack trace to the same message', async () => {
  const run = await runMain(['score', 'ref', 'syn', '--weights', 'truncated.pth', '--debug'], { cwd: dir });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/tts-critic: error: truncated\.pth: /);
  expect(stackLines(run.stderr).length).toBeGreaterThan(0);
});

describe('help and version', () => {
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  test('--help exits 0 and shows commands, an example and the exit codes', async () => {
    const run = await runMain(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: tts-critic/);
    expect(run.stdout).toMatch(/score \[options\] \[REF_DIR\] \[SYN_DIR\]/);
    expect(run.stdout).toMatch(/Example:\n\s+tts-critic score refs\/ outputs\//);
    expect(run.stdout).toMatch(/Exit codes:[\s\S]*\b2\s+usage or configuration error[\s\S]*\b3\s+scoring finished, but some files failed[\s\S]*130 \/ 143/);
    expect(run.stderr).toBe('');
  });

  test('score --help lists the options, examples and exit codes', async () => {
    const run = await runMain(['score', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--weights', '--model', '--family', '--seed', '--segment', '--format', '--output', '--device', '--batch-size', '--resume', '--quiet']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/Examples:\n\s+tts-critic score refs\/ outputs\//);
    expect(run.stdout).toMatch(/Exit codes:/);
  });

  test('--version prints the package version', async () => {
    const run = await runMain(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  test('no arguments: the help on stderr, exit 2, nothing on stdout', async () => {
    const run = await runMain([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Usage: tts-critic/);
    expect(run.stderr).toMatch(/Exit codes:/);
  });
});

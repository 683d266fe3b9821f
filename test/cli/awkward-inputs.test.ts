/**
 * Awkward inputs through the CLI (in-process, `main()`): never crash, never lose a row.
 *
 * ref/ holds a good 2-second file for every case (longer than any case, so that every sample
 * of a synthesized file is read: a pair is trimmed to its shorter file); syn/ holds every case of the awkward-WAV
 * corpus (test/helpers/wav-corpus.ts: broken headers, lying sizes, every codec, NaN/Inf, a
 * folder named x.wav, a symlink loop, a named pipe, ...) plus a dangling symlink, silent audio,
 * a too-short file and a file that disappears between discovery and decoding.
 *
 * "Disappears" is made deterministic with a named pipe: `--resume` points at a FIFO the test
 * holds. The CLI reads the --resume file right after pairing the folders and before opening
 * any audio, so opening the FIFO for writing returns exactly when discovery is over; the test
 * then deletes the file and closes the pipe (an empty resume report), and the CLI goes on to
 * find the file gone. No timing is involved.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { MEL_MIN_SAMPLES } from '../../src/audio/mel.js';
import { minimumWindow } from '../../src/model/index.js';
import { runMain } from '../helpers/cli.js';
import { finite, parseJsonl, removeDir, stackLines, tempDir, tinyFamily, toneWav, writeTinyCheckpoint, type Rec } from '../helpers/e2e.js';
import { materialize, wavCorpus, writeWav } from '../helpers/wav-corpus.js';

const MODEL_RATE = 32000; // gpt-sovits
const posix = process.platform !== 'win32';

interface Expectation {
  /** Path of the synthesized entry, relative to the run's folder. */
  syn: string;
  status: 'ok' | 'error';
  /** Error rows: the message must contain one of these (besides the file's path). */
  message?: string[];
}

let dir: string;
let expectations: Expectation[];
let records: Rec[];
let run: { code: number | null; signal: NodeJS.Signals | null; stderr: string };

beforeAll(async () => {
  dir = tempDir('awkward');
  const ref = path.join(dir, 'ref');
  const syn = path.join(dir, 'syn');
  mkdirSync(ref);
  mkdirSync(syn);
  const checkpoint = path.join(dir, 'tiny.pth');
  await writeTinyCheckpoint(checkpoint);
  const shortest = Math.max(minimumWindow(tinyFamily('gpt-sovits').subs), MEL_MIN_SAMPLES);

  expectations = [];
  let disappearing: string | null = null;
  for (const c of wavCorpus()) {
    // Links, pipes and the pipe-timed deletion need a POSIX system.
    if (!posix && ['named-pipe', 'symlink-loop', 'missing-file'].includes(c.name)) continue;
    const file = await materialize(c, syn);
    if (c.name === 'missing-file') {
      // Present at discovery, deleted before decoding (see the module comment).
      writeFileSync(file, toneWav({ seconds: 0.5 }));
      disappearing = file;
    }
    const rel = path.relative(dir, file);
    writeFileSync(path.join(ref, path.basename(file)), toneWav({ seconds: 2, seed: 5 }));
    if (c.expect === 'error') {
      // A few NaN/Inf cases are also shorter than the discriminators need: either reason is right.
      const alternatives = c.messageIncludes!.includes('NaN') ? [c.messageIncludes!, 'too short'] : [c.messageIncludes!];
      expectations.push({ syn: rel, status: 'error', message: alternatives });
    } else {
      // Decodable: scored unless shorter than the discriminators or the mel need (at 32 kHz).
      const frames = c.samples!.length;
      const at32k = Math.ceil((frames * MODEL_RATE) / c.sampleRate!);
      expectations.push(at32k >= shortest ? { syn: rel, status: 'ok' } : { syn: rel, status: 'error', message: ['too short'] });
    }
  }
  // A few more that the corpus (made for the decoder alone) does not have.
  const extra = (name: string, bytes: Buffer, e: Omit<Expectation, 'syn'>) => {
    writeFileSync(path.join(syn, name), bytes);
    writeFileSync(path.join(ref, name), toneWav({ seconds: 2, seed: 5 }));
    expectations.push({ syn: `syn/${name}`, ...e });
  };
  extra('silent.wav', writeWav({ format: 'pcm16', samples: new Int16Array(8000) }), { status: 'ok' });
  extra('silent-float.wav', writeWav({ format: 'float32', sampleRate: 22050, samples: new Float32Array(11025) }), { status: 'ok' });
  extra('too-short-5ms.wav', toneWav({ seconds: 0.005 }), { status: 'error', message: ['too short'] });
  extra('nan-late.wav', writeWav({ format: 'float32', samples: Float32Array.from({ length: 16000 }, (_, i) => (i === 12000 ? NaN : 0.1 * Math.sin(i / 5))) }), {
    status: 'error',
    message: ['NaN/infinite'],
  });
  if (posix) {
    symlinkSync(path.join(dir, 'nowhere', 'target.wav'), path.join(syn, 'dangling.wav'));
    writeFileSync(path.join(ref, 'dangling.wav'), toneWav({ seconds: 2, seed: 5 }));
    expectations.push({ syn: 'syn/dangling.wav', status: 'error', message: ['broken symbolic link'] });
  }

  const resumePipe = path.join(dir, 'resume.jsonl');
  if (posix) execFileSync('mkfifo', [resumePipe]);
  const cli = runMain(['score', 'ref', 'syn', '--weights', checkpoint, '--format', 'jsonl', ...(posix ? ['--resume', resumePipe] : [])], { cwd: dir });
  if (posix) {
    // Returns once the CLI opened the pipe, i.e. after discovery; fails if it finished instead
    // (then a reader of our own releases the blocked open, so nothing is left hanging).
    let opened = false;
    const opening = open(resumePipe, 'w').then((handle) => {
      opened = true;
      return handle;
    });
    const finishedFirst = cli.then((r) => (opened ? null : r));
    const writer = await Promise.race([opening, finishedFirst]);
    if (writer === null || !('close' in writer)) {
      closeSync(openSync(resumePipe, constants.O_RDONLY | constants.O_NONBLOCK));
      await (await opening).close();
      throw new Error(`CLI finished (${String(writer?.code)}) before reading --resume: ${writer?.stderr}`);
    }
    if (disappearing) unlinkSync(disappearing);
    await writer.close();
  }
  const finished = await cli;
  run = { code: finished.code, signal: finished.signal, stderr: finished.stderr };
  records = parseJsonl(finished.stdout);
}, 120_000);

afterAll(() => removeDir(dir));

test('the run finishes with exit code 3 and no stack trace', () => {
  expect(run.signal).toBeNull();
  expect(stackLines(run.stderr)).toEqual([]);
  expect(run.stderr).not.toMatch(/internal error|TypeError|RangeError|ReferenceError/);
  expect(run.code).toBe(3);
});

test('exactly one record per file, none lost, none extra', () => {
  const got = records.map((r) => String(r.syn)).sort();
  const want = expectations.map((e) => e.syn).sort();
  expect(got).toEqual(want);
  // ...and every reference file is in exactly one record too.
  expect(new Set(records.map((r) => r.ref)).size).toBe(records.length);
});

test('readable files are ok with finite numbers; broken ones are error rows saying why', () => {
  const bySyn = new Map(records.map((r) => [String(r.syn), r]));
  const problems: string[] = [];
  for (const e of expectations) {
    const r = bySyn.get(e.syn);
    if (!r) continue; // reported by the previous test
    if (r.status !== e.status) {
      problems.push(`${e.syn}: expected ${e.status}, got ${String(r.status)} (${String(r.error)})`);
      continue;
    }
    if (e.status === 'ok') {
      expect(r.error).toBe('');
      for (const column of ['fm', 'gen', 'real', 'fake', 'disc', 'mel_l1', 'ref_seconds', 'syn_seconds', 'windows']) finite(r[column], `${e.syn} ${column}`);
      for (const [key, value] of Object.entries(r)) if (typeof value === 'number') finite(value, `${e.syn} ${key}`);
      continue;
    }
    const message = String(r.error);
    if (!message.includes(e.syn)) problems.push(`${e.syn}: message does not name the file: ${message}`);
    if (e.message && !e.message.some((part) => message.includes(part))) problems.push(`${e.syn}: message lacks "${e.message.join('" or "')}": ${message}`);
    if (/\n|\w+Error\b|:\d+:\d+\)|\bundefined\b|\[object /.test(message)) problems.push(`${e.syn}: message is not plain words: ${message}`);
    for (const column of ['fm', 'gen', 'disc', 'mel_l1']) if (r[column] !== null) problems.push(`${e.syn}: error row has ${column}=${String(r[column])}`);
  }
  expect(problems).toEqual([]);
});

test('NaN/Inf input is an error row, never a NaN score; silent audio scores finite', () => {
  const bySyn = new Map(records.map((r) => [String(r.syn), r]));
  for (const name of ['float-nan', 'float-plus-inf', 'float-minus-inf', 'nan-late']) {
    expect(bySyn.get(`syn/${name}.wav`)?.status).toBe('error');
  }
  for (const name of ['silent', 'silent-float']) {
    const r = bySyn.get(`syn/${name}.wav`)!;
    expect(r.status).toBe('ok');
    expect(finite(r.fm, 'fm')).toBeGreaterThan(0);
  }
  expect(String(bySyn.get('syn/too-short-5ms.wav')?.error)).toMatch(/too short.*at least/);
});

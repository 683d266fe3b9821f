/**
 * `--shard I/N`: splits the pairs of one run across N machines or processes, each taking the
 * pairs whose key hashes to its slot. Indexes are 1-based (`1/4` .. `4/4`), as people count
 * machines. Assignment depends only on the key text: SHA-256 is the same on every machine,
 * platform and Node version, and mixes similar keys (`utt0001`, `utt0002`) evenly.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based: 1 ≤ index ≤ count. */
  readonly index: number;
  readonly count: number;
}

/** Parses `I/N` (1 ≤ I ≤ N, plain decimal integers). */
export function parseShard(text: string, flag = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const fail = (what: string): never => {
    throw new UsageError(`invalid ${flag} "${text}": ${what} (example: ${flag} 1/4 runs the first of four shards)`);
  };
  if (!match) return fail('expected I/N, two whole numbers such as 2/4');
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1) return fail('the shard count N must be at least 1');
  if (!Number.isSafeInteger(index) || index < 1 || index > count) {
    return fail(`the shard index I must be from 1 to ${count} (shards are numbered from 1)`);
  }
  return { index, count };
}

/**
 * The key as hashed: Unicode NFC (macOS may hand out decomposed file names) and forward
 * slashes (Windows separators), so the same pair lands in the same shard everywhere.
 */
export function shardKey(key: string): string {
  return key.normalize('NFC').replace(/\\/g, '/');
}

/**
 * The 1-based shard a key belongs to out of `count`: the first 48 bits of SHA-256 of the
 * normalized key's UTF-8 bytes, modulo `count`, plus one. 48 bits fit a double exactly, and
 * the modulo bias (2^48 mod N out of 2^48) is far below anything measurable.
 */
export function shardOf(key: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  const digest = createHash('sha256').update(shardKey(key), 'utf8').digest();
  return (digest.readUIntBE(0, 6) % count) + 1;
}

/**
 * Whether a pair belongs to `shard`. Pass the pairing key (relative path without extension, or
 * the manifest's key), not an absolute path, so machines with different checkouts agree.
 */
export function inShard(key: string, shard: Shard): boolean {
  return shardOf(key, shard.count) === shard.index;
}

/** Where `--shard auto` found this task's place: which scheduler, and its array as it was asked for. */
export interface AutoShard extends Shard {
  /** E.g. `Slurm array task 5 (0-7)`, for the notice on stderr. */
  readonly source: string;
}

/** An array's indices: first, last and step, as schedulers describe them (`--array=1-8:2`, `-t 1-8:2`, `-J 1-8:2`). */
interface IndexRange {
  readonly first: number;
  readonly last: number;
  readonly step: number;
}

/** `auto`, `auto/N` (indices 0..N-1) or `auto/FIRST-LAST[:STEP]` (the range given to the scheduler). */
function parseAuto(text: string, flag: string): IndexRange | null | undefined {
  const match = /^\s*auto\s*(?:\/\s*(?:(\d+)|(\d+)\s*-\s*(\d+)(?:\s*:\s*(\d+))?))?\s*$/i.exec(text);
  if (!match) return undefined;
  if (match[1] !== undefined) {
    const count = Number(match[1]);
    if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`invalid ${flag} "${text}": the task count N in auto/N must be at least 1`);
    return { first: 0, last: count - 1, step: 1 };
  }
  if (match[2] !== undefined) {
    const range = { first: Number(match[2]), last: Number(match[3]), step: match[4] === undefined ? 1 : Number(match[4]) };
    if (range.step < 1 || range.last < range.first) throw new UsageError(`invalid ${flag} "${text}": expected auto/FIRST-LAST[:STEP] with FIRST ≤ LAST and STEP ≥ 1, as given to the scheduler`);
    return range;
  }
  return null;
}

/** A whole number from the environment, or null when unset; anything else is a usage error. */
function envInteger(env: NodeJS.ProcessEnv, name: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  if (!/^\s*\d+\s*$/.test(raw)) throw new UsageError(`--shard auto: ${name} is "${raw}", not an array index; is this job an array job?`);
  return Number(raw);
}

/** The 1-based shard of `index` in `range`, checking it is one of the range's indices. */
function placeIn(index: number, range: IndexRange, what: string, formatted: string): AutoShard {
  const count = Math.floor((range.last - range.first) / range.step) + 1;
  const offset = index - range.first;
  if (offset < 0 || offset % range.step !== 0 || offset / range.step >= count) {
    throw new UsageError(`--shard auto: ${what} is not one of the array's indices ${formatted}`);
  }
  return { index: offset / range.step + 1, count, source: `${what} of ${formatted}` };
}

function describeRange(range: IndexRange): string {
  return `${range.first}-${range.last}${range.step === 1 ? '' : `:${range.step}`}`;
}

/**
 * `--shard auto[/N | /FIRST-LAST[:STEP]]`: this task's shard from the job-array variables of the
 * scheduler running it, so one command line serves every task of the array.
 *
 * | scheduler | index | range |
 * |---|---|---|
 * | Slurm | SLURM_ARRAY_TASK_ID | SLURM_ARRAY_TASK_MIN/MAX (+ _STEP), or SLURM_ARRAY_TASK_COUNT from 0 |
 * | SGE / UGE | SGE_TASK_ID | SGE_TASK_FIRST / SGE_TASK_LAST / SGE_TASK_STEPSIZE |
 * | LSF | LSB_JOBINDEX | 1 to LSB_JOBINDEX_END (+ LSB_JOBINDEX_STEP) |
 * | PBS Pro, OpenPBS | PBS_ARRAY_INDEX | not in the environment: `auto/FIRST-LAST[:STEP]` as given to `qsub -J`, or `auto/N` for 0..N-1 |
 * | TORQUE | PBS_ARRAYID | as PBS |
 * | Kubernetes Indexed Job | JOB_COMPLETION_INDEX | 0 to N-1: `auto/N` with N the Job's `completions` |
 *
 * A range given after `auto/` overrides the environment's (and must agree with it when the
 * environment has one, else which shard this is would be a guess). Arrays starting at 1 or
 * stepping work: the k-th index of the array is shard k.
 */
export function resolveAutoShard(text: string, env: NodeJS.ProcessEnv = process.env, flag = '--shard'): AutoShard | null {
  const given = parseAuto(text, flag);
  if (given === undefined) return null;
  const agree = (found: IndexRange, scheduler: string): IndexRange => {
    if (given && (given.first !== found.first || given.last !== found.last || given.step !== found.step)) {
      const count = Math.floor((found.last - found.first) / found.step) + 1;
      // auto/N only names the count: an array of that many tasks agrees whatever its first index.
      const countOnly = /\/\s*\d+\s*$/.test(text) && given.last - given.first + 1 === count;
      if (!countOnly) throw new UsageError(`${flag} ${text.trim()}: the ${scheduler} array is ${describeRange(found)}, not ${describeRange(given)}`);
    }
    return found;
  };

  const slurm = envInteger(env, 'SLURM_ARRAY_TASK_ID');
  if (slurm !== null) {
    const min = envInteger(env, 'SLURM_ARRAY_TASK_MIN');
    const max = envInteger(env, 'SLURM_ARRAY_TASK_MAX');
    const step = envInteger(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    const count = envInteger(env, 'SLURM_ARRAY_TASK_COUNT');
    let range: IndexRange;
    if (min !== null && max !== null) {
      range = { first: min, last: max, step };
      // `--array=1,4,9` lists indices: no range maps them onto shards one to one.
      if (count !== null && Math.floor((max - min) / step) + 1 !== count) {
        throw new UsageError(`--shard auto: the Slurm array (${count} tasks from ${min} to ${max}) is not a range; submit it as --array=FIRST-LAST[:STEP]`);
      }
    } else if (count !== null) range = { first: 0, last: count - 1, step: 1 };
    else if (given) range = given;
    else throw new UsageError('--shard auto: SLURM_ARRAY_TASK_ID is set but not the array size (SLURM_ARRAY_TASK_COUNT or _MIN/_MAX); give it as --shard auto/N');
    return placeIn(slurm, agree(range, 'Slurm'), `Slurm array task ${slurm}`, describeRange(range));
  }

  const sge = env['SGE_TASK_ID'];
  if (sge !== undefined && sge.trim() !== '' && sge !== 'undefined') {
    const index = envInteger(env, 'SGE_TASK_ID')!;
    const first = envInteger(env, 'SGE_TASK_FIRST');
    const last = envInteger(env, 'SGE_TASK_LAST');
    const range = first !== null && last !== null ? { first, last, step: envInteger(env, 'SGE_TASK_STEPSIZE') ?? 1 } : given;
    if (!range) throw new UsageError('--shard auto: SGE_TASK_ID is set but not SGE_TASK_FIRST/SGE_TASK_LAST; give the range as --shard auto/FIRST-LAST');
    return placeIn(index, agree(range, 'Grid Engine'), `Grid Engine task ${index}`, describeRange(range));
  }

  const lsf = envInteger(env, 'LSB_JOBINDEX');
  // LSF sets LSB_JOBINDEX=0 in jobs that are not arrays; array indices start at 1.
  if (lsf !== null && lsf > 0) {
    const end = envInteger(env, 'LSB_JOBINDEX_END');
    const range = given && (end === null || /-/.test(text)) ? given : end !== null ? { first: 1, last: end, step: envInteger(env, 'LSB_JOBINDEX_STEP') ?? 1 } : null;
    if (!range) throw new UsageError('--shard auto: LSB_JOBINDEX is set but not LSB_JOBINDEX_END; give the range as --shard auto/FIRST-LAST');
    return placeIn(lsf, range, `LSF array index ${lsf}`, describeRange(range));
  }

  for (const [name, scheduler] of [
    ['PBS_ARRAY_INDEX', 'PBS'],
    ['PBS_ARRAYID', 'TORQUE'],
    ['JOB_COMPLETION_INDEX', 'Kubernetes'],
  ] as const) {
    const index = envInteger(env, name);
    if (index === null) continue;
    if (!given) {
      const how = scheduler === 'Kubernetes' ? 'auto/N with N the Job\'s completions' : 'auto/FIRST-LAST as given to qsub -J (or auto/N for 0..N-1)';
      throw new UsageError(`--shard auto: ${name} says which task this is, but ${scheduler} does not say how many there are; give ${flag} ${how}`);
    }
    return placeIn(index, given, `${scheduler} ${name}=${index}`, describeRange(given));
  }

  throw new UsageError(
    `${flag} auto: nothing in the environment says which task of a job array this is (looked for SLURM_ARRAY_TASK_ID, SGE_TASK_ID, ` +
      'LSB_JOBINDEX, PBS_ARRAY_INDEX, PBS_ARRAYID, JOB_COMPLETION_INDEX); outside an array job give the shard as I/N',
  );
}

/** `-o scores.{shard}.jsonl` → `scores.3.jsonl`: one command line writes each task's own file. */
export function withShard(path: string, shard: Shard | null, flag = '-o'): string {
  if (!path.includes('{shard}')) return path;
  if (!shard) throw new UsageError(`${flag} ${path}: {shard} stands for the shard number, but no --shard was given`);
  return path.replaceAll('{shard}', String(shard.index));
}

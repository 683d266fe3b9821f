/**
 * `--resume FILE`: continue a run that was interrupted. The pairs already scored `ok` in FILE
 * are skipped and their records carried into the new output; everything else (error and
 * unpaired rows, pairs not scored yet) is scored again. A record is only carried when it was
 * scored with the same model and belongs to a pair of this run, so the output holds exactly
 * one record per pair, all from one model.
 */
import { promises as fs } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ModelInfo } from '../scores.js';
import { ModelDescriptions, describeMismatch, findModelMismatch } from '../quality/same-model.js';
import { rowKey, type Row } from '../report/columns.js';
import { formatFromPath, readReport } from '../report/read.js';
import { openReport } from '../report/read-stream.js';
import { leftoverTempFiles } from '../report/sink.js';
import { KeyIndex } from '../util/key-index.js';
import { pause } from '../util/yield.js';
import type { PairSpec } from './discover.js';
import type { PairList } from './pair-list.js';

/** The key a pair's record will have (rowKey of its row): the syn path, else the ref path. */
export function pairIdentity(spec: PairSpec): string {
  return spec.syn ?? spec.ref ?? spec.key;
}

/**
 * Refuses records scored with another family or weights than `model`: scores from different
 * discriminators must not end up in one report. (CSV/JSONL rows do not record the window
 * length, so a different `--segment` cannot be detected from them.)
 */
export function checkResumeModel(rows: readonly Row[], model: ModelInfo, source: string): void {
  const mismatch = findModelMismatch([
    { source, model: null, rows },
    { source: 'this run', model, rows: [] },
  ]);
  if (mismatch) {
    throw new UsageError(`cannot resume from ${source}: ${describeMismatch(mismatch)}; use the same model, or write to a fresh output without --resume`);
  }
}

export interface ResumePlan {
  /** Records carried over: `ok`, one per key (the last one), of a pair of this run, in order. */
  readonly rows: readonly Row[];
  /** The pairs still to score, in their original order. */
  readonly pairs: readonly PairSpec[];
  /** `ok` records naming no pair of this run (another folder, shard or manifest): dropped. */
  readonly foreign: number;
}

/** Splits this run's pairs into those already done in `previous` and those still to score. */
export function planResume(previous: readonly Row[], pairs: readonly PairSpec[]): ResumePlan {
  const wanted = new Set(pairs.map(pairIdentity));
  const done = new Map<string, Row>();
  let foreign = 0;
  for (const row of previous) {
    if (row['status'] !== 'ok') continue;
    const key = rowKey(row);
    if (!wanted.has(key)) foreign++;
    else done.set(key, row);
  }
  return { rows: [...done.values()], pairs: pairs.filter((p) => !done.has(pairIdentity(p))), foreign };
}

/** True when a writer temp file (`.<name>.<pid>-<hex>.tmp`) belongs to a process that is gone. */
function abandoned(tempPath: string): boolean {
  const pid = Number(/\.(\d+)-[0-9a-f]{8}\.tmp$/.exec(tempPath)?.[1]);
  if (!Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false; // still running: another writer's file, not ours to take
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * `--resume FILE` read for a run of any size. The first pass notes, for each pair of this run
 * with an `ok` record, where its last one is (its place in the reading order); `carried()`
 * reads the files again and hands over exactly those records. Memory: one number per finished
 * pair (and one key per record of a pair not in this run), never the records themselves.
 */
export interface ResumeIndex {
  /** Pairs already done, with the place of their last ok record (only `size`, `has` and `get`). */
  readonly done: Pick<ReadonlyMap<string, number>, 'size' | 'has' | 'get'>;
  /** `ok` records naming no pair of this run (distinct keys): dropped. */
  readonly foreign: number;
  /** The model descriptions (family, weights) of the ok records of this run's pairs. */
  readonly descriptions: readonly string[];
  /** Temp files of killed JSONL runs whose records count; remove them once carried over. */
  readonly leftovers: readonly string[];
  /** The pairs still to score, in their original order. */
  readonly pairs: PairList;
  /** The carried records, read again (in the order of the files), in batches. */
  carried(): AsyncGenerator<Row[]>;
}

/** The records of `files` in batches (one await per batch, not per record). */
async function* recordBatches(files: readonly { path: string; format?: 'jsonl' }[], lean = false): AsyncGenerator<Row[]> {
  for (const file of files) {
    const stream = await openReport(file.path, file.format, { lean });
    for await (const batch of stream.batches()) {
      yield batch;
      // A long read must not keep Ctrl-C from being heard.
      await pause();
    }
  }
}

/** Reads `--resume FILE` (and a killed run's temp files beside it) against this run's pairs. */
export async function indexResume(file: string | undefined, pairs: PairList): Promise<ResumeIndex> {
  const leftovers = file && formatFromPath(file) === 'jsonl' ? leftoverTempFiles(file).filter(abandoned) : [];
  const files: { path: string; format?: 'jsonl' }[] = leftovers.map((path) => ({ path, format: 'jsonl' as const }));
  if (file) {
    let exists = true;
    try {
      await fs.access(file);
    } catch {
      exists = false;
    }
    if (exists) files.push({ path: file });
  }
  // A pipe (`--resume <(zcat run.jsonl.gz)`) can be read once: its records are kept from the first pass.
  let once: Map<string, Row> | null = null;
  for (const { path } of files) if (!(await fs.stat(path)).isFile()) once = new Map();
  // Per pair of this run, the place of its last ok record (-1: none): the index holds the
  // pairs' own strings, so a million pairs cost 8 bytes of index and 8 of place each.
  const index = new KeyIndex((i) => pairs.identity(i), pairs.length);
  for (let i = 0; i < pairs.length; i++) index.add(i);
  const places = new Float64Array(pairs.length).fill(-1);
  const foreign = new Set<string>();
  const models = new ModelDescriptions();
  let doneCount = 0;
  let at = 0;
  // The first pass reads a record's status, key and model columns: lean rows, unless a pipe's
  // records must be kept whole now (see `once`).
  for await (const batch of recordBatches(files, once === null)) {
    for (const row of batch) {
      const place = at++;
      if (row['status'] !== 'ok') continue;
      const key = rowKey(row);
      const i = index.get(key);
      if (i < 0) {
        foreign.add(key);
        continue;
      }
      if (places[i]! < 0) doneCount++;
      places[i] = place;
      once?.set(key, row);
      models.add(row);
    }
  }
  const done: ResumeIndex['done'] = {
    size: doneCount,
    has: (key: string) => (places[index.get(key)] ?? -1) >= 0,
    get: (key: string) => {
      const place = places[index.get(key)] ?? -1;
      return place >= 0 ? place : undefined;
    },
  };
  return {
    done,
    foreign: foreign.size,
    descriptions: models.list,
    leftovers,
    pairs: doneCount > 0 ? pairs.filter((pair) => !done.has(pairIdentity(pair))) : pairs,
    async *carried() {
      if (doneCount === 0) return;
      if (once) {
        yield [...once.values()];
        return;
      }
      let place = 0;
      for await (const batch of recordBatches(files)) {
        const carried: Row[] = [];
        for (const row of batch) {
          if (row['status'] === 'ok' && done.get(rowKey(row)) === place) carried.push(row);
          place++;
        }
        if (carried.length > 0) yield carried;
      }
    },
  };
}

/** Refuses resume records scored with another family or weights than `model` (see `checkResumeModel`). */
export function checkResumeDescriptions(descriptions: readonly string[], model: ModelInfo, source: string): void {
  const mismatch = findModelMismatch([
    { source, model: null, descriptions },
    { source: 'this run', model, descriptions: [] },
  ]);
  if (mismatch) {
    throw new UsageError(`cannot resume from ${source}: ${describeMismatch(mismatch)}; use the same model, or write to a fresh output without --resume`);
  }
}

export interface ResumeSource {
  /** Finished (ok) records found, one per key. */
  readonly rows: Row[];
  /** Temp files of killed JSONL runs whose records were read; remove them once carried over. */
  readonly leftovers: string[];
}

/**
 * Reads `--resume FILE`. Besides FILE itself, a JSONL run killed outright (SIGKILL, OOM killer)
 * leaves only its writer's temp file next to FILE, holding whole lines: those records count too.
 * A FILE that does not exist yet is the first run of a resumable job: nothing to resume.
 */
export async function readResumeSource(file: string | undefined): Promise<ResumeSource> {
  if (!file) return { rows: [], leftovers: [] };
  const byKey = new Map<string, Row>();
  const take = (rows: readonly Row[]) => {
    for (const row of rows) if (row['status'] === 'ok') byKey.set(rowKey(row), row);
  };
  const leftovers = formatFromPath(file) === 'jsonl' ? leftoverTempFiles(file).filter(abandoned) : [];
  for (const temp of leftovers) take((await readReport(temp, 'jsonl')).rows);
  let exists = true;
  try {
    await fs.access(file);
  } catch {
    exists = false;
  }
  if (exists) take((await readReport(file)).rows);
  return { rows: [...byKey.values()], leftovers };
}

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

/**
 * Which family a set of canonical keys belongs to: the family all of whose sub-discriminator
 * prefixes are present, preferring the one with the most sub-discriminators (GPT-SoVITS v2Pro's
 * keys are a superset of v1/v2's). When nothing fits, the error says what was found and what
 * each family would look like.
 */
import { CheckpointError } from '../errors.js';
import { FAMILIES } from '../model/index.js';
import type { FamilySpec } from '../model/types.js';
import { describeKeys } from './layout.js';

/** `discriminators.0..5`, `MRD.discriminators.0..3, MPD.discriminators.0..4, MSD`. */
export function describePrefixes(family: FamilySpec): string {
  const groups = new Map<string, number[]>();
  const order: string[] = [];
  for (const { prefix } of family.subs) {
    const match = /^(.*\.)(\d+)$/.exec(prefix);
    const stem = match ? match[1]! : prefix;
    if (!groups.has(stem)) {
      groups.set(stem, []);
      order.push(stem);
    }
    if (match) groups.get(stem)!.push(Number(match[2]));
  }
  return order
    .map((stem) => {
      const numbers = groups.get(stem)!;
      return numbers.length ? `${stem}${Math.min(...numbers)}..${Math.max(...numbers)}` : stem;
    })
    .join(', ');
}

function allPrefixes(keys: Iterable<string>): Set<string> {
  const prefixes = new Set<string>();
  for (const key of keys) {
    for (let at = key.indexOf('.'); at > 0; at = key.indexOf('.', at + 1)) prefixes.add(key.slice(0, at));
  }
  return prefixes;
}

/** The module paths that hold parameters, shortened: `discriminators.0`, `enc_p`, ... */
function foundPrefixes(keys: Iterable<string>, max = 12): string {
  const found: string[] = [];
  for (const key of keys) {
    const conv = /^(.*?)\.(convs\.\d+|conv_post)\./.exec(key);
    const short = conv ? conv[1]! : key.split('.').slice(0, 2).join('.');
    if (!found.includes(short)) found.push(short);
  }
  if (found.length === 0) return 'none (no tensors)';
  return found.slice(0, max).join(', ') + (found.length > max ? `, ... (${found.length} in all)` : '');
}

export function detectFamily(keys: ReadonlySet<string> | ReadonlyMap<string, unknown>, topLevel: readonly string[]): FamilySpec {
  const names = [...keys.keys()];
  const prefixes = allPrefixes(names);
  const complete = FAMILIES.filter((family) => family.subs.every((sub) => prefixes.has(sub.prefix)));
  if (complete.length > 0) return complete.reduce((best, f) => (f.subs.length > best.subs.length ? f : best));
  // Most but not all sub-discriminators present: pick that family when it is the clear best,
  // so the error that follows names the missing key instead of a vague "unknown layout".
  const scored = FAMILIES.map((family) => ({
    family,
    score: family.subs.filter((sub) => prefixes.has(sub.prefix)).length / family.subs.length,
  })).sort((a, b) => b.score - a.score);
  const [first, second] = scored;
  if (first && first.score >= 0.5 && (!second || second.score < first.score)) return first.family;
  const known = FAMILIES.map((f) => `${f.name} (${describePrefixes(f)})`).join('; ');
  throw new CheckpointError(
    `cannot tell which discriminator family this checkpoint holds: top-level keys ${describeKeys([...topLevel])}, ` +
      `weights under ${foundPrefixes(names)}. Known families and the prefixes they need: ${known}. ` +
      'If the file is one of these under other names, choose the family explicitly (--family).',
  );
}

/**
 * Which family a set of canonical keys belongs to, decided from the file alone and from the
 * family tables alone (nothing here names a family): a family fits when every conv and read
 * buffer it needs is present with the family's kernel shape, and it uses every discriminator
 * key of the file. "Discriminator keys" are the keys under the top-level modules the family's
 * prefixes start with (`discriminators`, `mpd`, `multiperioddisc`, `msstftd`, ...), so a
 * generator or loss module stored beside them (`backbone.`, `melspec_loss.`, `decoder.`) is
 * never counted. GPT-SoVITS, v2Pro, RVC v1 and v2 share `discriminators.N` and differ in N;
 * BigVGAN v1 and v2 share `mrd.discriminators.N` and differ in the CQT-D's keys: both are told
 * apart because the wrong family leaves keys unused or misses some.
 */
import { CheckpointError } from '../errors.js';
import { convEntries, FAMILIES, familyConvBases, familyKnownBuffers, familyReadBuffers } from '../model/index.js';
import type { FamilySpec } from '../model/types.js';
import { findWeightSource, SHAPE_TENSOR, WEIGHT_SUFFIXES } from './fold.js';
import { describeKeys } from './layout.js';
import type { TensorRef } from './tensor.js';

type Tensors = ReadonlyMap<string, TensorRef>;

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

const firstSegment = (key: string): string => key.split('.', 1)[0]!;

/** The top-level modules whose keys are this family's business (scored or knowingly ignored). */
export function discriminatorModules(family: FamilySpec): Set<string> {
  return new Set([...family.subs.map((sub) => firstSegment(sub.prefix)), ...(family.ignored ?? []).map(firstSegment)]);
}

/** Every key the family can use or knowingly accepts, and the ignored prefixes. */
function acceptedKeys(family: FamilySpec): { keys: Set<string>; ignored: readonly string[] } {
  const keys = new Set<string>();
  for (const base of familyConvBases(family)) {
    for (const suffix of [...WEIGHT_SUFFIXES, 'bias']) keys.add(`${base}.${suffix}`);
  }
  for (const key of [...familyReadBuffers(family), ...familyKnownBuffers(family)]) keys.add(key);
  return { keys, ignored: family.ignored ?? [] };
}

/** Discriminator keys of the file that the family would leave unread, in file order. */
export function unusedKeys(family: FamilySpec, keys: Iterable<string>): string[] {
  const modules = discriminatorModules(family);
  const accepted = acceptedKeys(family);
  const unused: string[] = [];
  for (const key of keys) {
    if (!modules.has(firstSegment(key)) || accepted.keys.has(key)) continue;
    if (accepted.ignored.some((prefix) => key.startsWith(prefix))) continue;
    unused.push(key);
  }
  return unused;
}

/** `discriminators.8.* (18 keys): discriminators.8.convs.0.weight_g, ...`: what a user can act on. */
export function describeUnused(unused: readonly string[], max = 6): string {
  const groups = new Map<string, number>();
  for (const key of unused) {
    const match = /^(.*?\.\d+)\./.exec(key);
    const group = match ? `${match[1]}.*` : key;
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  const shown = [...groups].slice(0, max).map(([group, n]) => (n > 1 ? `${group} (${n} keys)` : group));
  const more = groups.size > max ? `, ... (${unused.length} keys in all)` : '';
  const examples = unused.slice(0, 3).map((k) => `"${k}"`).join(', ');
  return `${shown.join(', ')}${more}; e.g. ${examples}`;
}

export interface FamilyFit {
  readonly family: FamilySpec;
  /** Sub prefixes with at least one key present, as a fraction of the family's subs. */
  readonly present: number;
  /** Conv bases and read buffers the family needs that the file lacks. */
  readonly missing: number;
  /** Convs whose stored kernel differs from the family's. */
  readonly mismatched: number;
  readonly unused: number;
  /** Keys the family would read. */
  readonly used: number;
}

export function fitFamily(family: FamilySpec, tensors: Tensors): FamilyFit {
  const has = (key: string): boolean => tensors.has(key);
  let missing = 0;
  let mismatched = 0;
  let used = 0;
  for (const { base, layer } of family.subs.flatMap(convEntries)) {
    let source;
    try {
      source = findWeightSource(has, base);
    } catch {
      mismatched++;
      continue;
    }
    if (!source) {
      missing++;
      continue;
    }
    used += source.keys.length + (has(`${base}.bias`) ? 1 : 0);
    const shape = tensors.get(source.keys[SHAPE_TENSOR[source.form]]!)!.shape;
    const { kernel } = layer;
    if (shape.length !== 2 + kernel.length || kernel.some((k, i) => shape[2 + i] !== k)) mismatched++;
  }
  for (const key of familyReadBuffers(family)) {
    if (has(key)) used++;
    else missing++;
  }
  const names = [...tensors.keys()];
  const present = family.subs.filter((sub) => names.some((key) => key.startsWith(`${sub.prefix}.`))).length / family.subs.length;
  return { family, present, missing, mismatched, unused: unusedKeys(family, names).length, used };
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

const exact = (fit: FamilyFit): boolean => fit.missing === 0 && fit.mismatched === 0 && fit.unused === 0;

/**
 * The family the keys belong to. Exactly one family fits in practice; should two, the one that
 * reads more of the file wins, and a tie is an error asking for --family. When none fits but
 * one family is clearly closest (most of its subs present), that family is returned so the
 * loader's error names the precise missing or unused keys.
 */
export function detectFamily(tensors: Tensors, topLevel: readonly string[], families: readonly FamilySpec[] = FAMILIES): FamilySpec {
  const fits = families.map((family) => fitFamily(family, tensors));
  const exactFits = fits.filter(exact).sort((a, b) => b.used - a.used);
  if (exactFits.length === 1 || (exactFits.length > 1 && exactFits[0]!.used > exactFits[1]!.used)) return exactFits[0]!.family;
  if (exactFits.length > 1) {
    throw new CheckpointError(
      `checkpoint fits more than one family (${exactFits.map((f) => f.family.name).join(', ')}); choose one explicitly (--family)`,
    );
  }
  // Closest: most subs present, then fewest problems.
  const problems = (f: FamilyFit): number => f.missing + f.mismatched + f.unused;
  const scored = fits.filter((f) => f.present >= 0.5).sort((a, b) => b.present - a.present || problems(a) - problems(b));
  const [first, second] = scored;
  if (first && (!second || second.present < first.present || problems(second) > problems(first))) return first.family;
  const known = families.map((f) => `${f.name} (${describePrefixes(f)})`).join('; ');
  throw new CheckpointError(
    `cannot tell which discriminator family this checkpoint holds: top-level keys ${describeKeys([...topLevel])}, ` +
      `weights under ${foundPrefixes(tensors.keys())}. Known families and the prefixes they need: ${known}. ` +
      'If the file is one of these under other names, choose the family explicitly (--family).',
  );
}

/**
 * The model zoo: published discriminator checkpoints that `--model NAME` can fetch.
 *
 * Pure data (no I/O): the downloader in src/zoo/ turns an entry into a cached, sha256-verified
 * file. Hashes and sizes are from docs reference section 1 (discriminators.md); the download
 * URL is `${base}/${repo}/resolve/main/${file}`.
 */
import type { FamilyName } from './types.js';

export type ModelName = 'gpt-sovits-v1' | 'gpt-sovits-v2' | 'gpt-sovits-v2pro' | 'gpt-sovits-v2proplus';

/** Where an entry's expected sha256 was read from; decides how a mismatch is worded. */
export type HashSource =
  /** Read from the official repository's own file metadata. */
  | 'official'
  /** Copied from a mirror's listing: a mismatch may mean our pin is wrong, not the download. */
  | 'mirror';

export interface ZooEntry {
  /** `--model` name. Built-in entries use {@link ModelName}; tests inject their own. */
  readonly name: string;
  /** Architecture the checkpoint is loaded into. */
  readonly family: FamilyName;
  /** Hugging Face repository, `owner/name`. */
  readonly repo: string;
  /** Path of the file inside the repository (forward slashes). */
  readonly file: string;
  /** Expected sha256 of the whole file, lowercase hex. Also the cache directory name. */
  readonly sha256: string;
  /** Expected size in bytes; checked before hashing and used as the progress total. */
  readonly bytes: number;
  /** One line for `--help` and listings. */
  readonly description: string;
  readonly hashSource: HashSource;
}

const REPO = 'lj1995/GPT-SoVITS';

export const ZOO: readonly (ZooEntry & { readonly name: ModelName })[] = [
  {
    name: 'gpt-sovits-v1',
    family: 'gpt-sovits',
    repo: REPO,
    file: 's2D488k.pth',
    sha256: 'fc579c1db3c1e21b721001cf99d7a584214280df19b002e200b630a34fa06eb8',
    bytes: 93533667,
    description: 'GPT-SoVITS v1 pretrained discriminator (s2D488k, 89 MiB)',
    hashSource: 'official',
  },
  {
    name: 'gpt-sovits-v2',
    family: 'gpt-sovits',
    repo: REPO,
    file: 'gsv-v2final-pretrained/s2D2333k.pth',
    sha256: '8ae7fe8dd8c8f2e718de359e00edac88b0c71ab2fd10b07ad4cc45070eb8a836',
    bytes: 93534164,
    description: 'GPT-SoVITS v2 pretrained discriminator (s2D2333k, 89 MiB)',
    hashSource: 'official',
  },
  // The two v2Pro hashes were taken from a mirror (reference section 1). A third-party project
  // pinning lj1995/GPT-SoVITS@336b2ec lists the same values, but until someone hashes the
  // official files they stay marked 'mirror' so a mismatch says our pin may be the culprit.
  {
    name: 'gpt-sovits-v2pro',
    family: 'gpt-sovits-v2pro',
    repo: REPO,
    file: 'v2Pro/s2Dv2Pro.pth',
    sha256: '257a7f36ae49e9ff08790d2cd3d398592530852caba810197f8606e884a52c54',
    bytes: 126431971,
    description: 'GPT-SoVITS v2Pro pretrained discriminator (s2Dv2Pro, 121 MiB)',
    hashSource: 'mirror',
  },
  {
    name: 'gpt-sovits-v2proplus',
    family: 'gpt-sovits-v2pro',
    repo: REPO,
    file: 'v2Pro/s2Dv2ProPlus.pth',
    sha256: '635cd84bf6f7f9b8d41c88c7106f81d782c794c61f931845214ea037b0c5bef2',
    bytes: 126432639,
    description: 'GPT-SoVITS v2ProPlus pretrained discriminator (s2Dv2ProPlus, 121 MiB)',
    hashSource: 'mirror',
  },
];

export function modelNames(): ModelName[] {
  return ZOO.map((entry) => entry.name);
}

/** Looks a model up by name (case and surrounding spaces ignored); undefined when unknown. */
export function findModel(name: string): (ZooEntry & { readonly name: ModelName }) | undefined {
  const key = name.trim().toLowerCase();
  return ZOO.find((entry) => entry.name === key);
}

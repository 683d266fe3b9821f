/**
 * The model zoo: published discriminator checkpoints that `--model NAME` can fetch.
 *
 * Pure data (no I/O): the downloader in src/zoo/ turns an entry into a cached, sha256-verified
 * file. Hashes and sizes are from docs reference section 1 (discriminators.md) and, for RVC,
 * BigVGAN v2 and StyleTTS 2, section 8 of modern-discriminators.md; the download URL is
 * `${base}/${repo}/resolve/main/${file}`. Files whose sha256 is not known are left out: RVC's
 * non-f0 `D*k.pth`, `f0D48k.pth` and the other v2 files, and BigVGAN v2 44 kHz 256x (file not
 * seen). RVC v2 f0D32k and StyleTTS 2 LibriTTS have a hash but only an approximate size:
 * their `bytes` is null and the sha256 alone decides.
 */
import type { FamilyName } from './types.js';

export type ModelName =
  | 'gpt-sovits-v1'
  | 'gpt-sovits-v2'
  | 'gpt-sovits-v2pro'
  | 'gpt-sovits-v2proplus'
  | 'rvc-v1-f0d32k'
  | 'rvc-v1-f0d40k'
  | 'bigvgan-v2-44khz-128band-512x'
  | 'bigvgan-v2-44khz-128band-512x-3msteps'
  | 'bigvgan-v2-24khz-100band-256x'
  | 'bigvgan-v2-24khz-100band-256x-3msteps'
  | 'bigvgan-v2-22khz-80band-256x'
  | 'bigvgan-v2-22khz-80band-256x-3msteps'
  | 'bigvgan-v2-22khz-80band-fmax8k-256x'
  | 'rvc-v2-f0d32k'
  | 'styletts2-libritts';

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
  /**
   * Expected size in bytes; checked before hashing and used as the progress total. null: the
   * size was not pinned (only the sha256 was published), so the server's announced length is
   * the progress total and the sha256 alone decides.
   */
  readonly bytes: number | null;
  /** One line for `--help` and listings. */
  readonly description: string;
  readonly hashSource: HashSource;
  /**
   * The rate the discriminator was trained at, used when the user gives no --sample-rate (the
   * file itself may not say: RVC's pretrained files hold only weights). Absent: the family's.
   */
  readonly sampleRate?: number;
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
    sampleRate: 32000,
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
    sampleRate: 32000,
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
    sampleRate: 32000,
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
    sampleRate: 32000,
  },
  // RVC v1 pretrained discriminators with pitch guidance (the f0 models most users fine-tune);
  // fp16 {"model": OrderedDict}. The file holds no rate: it is in the name.
  ...([
    [32000, '294db3087236e2c75260d6179056791c9231245daf5d0485545d9e54c4057c77'],
    [40000, '7d4f5a441594b470d67579958b2fd4c6b992852ded28ff9e72eda67abcebe423'],
  ] as const).map(([rate, sha256]) => ({
    name: `rvc-v1-f0d${rate / 1000}k` as ModelName,
    family: 'rvc-v1' as const,
    repo: 'lj1995/VoiceConversionWebUI',
    file: `pretrained/f0D${rate / 1000}k.pth`,
    sha256,
    bytes: 109978943,
    description: `RVC v1 pretrained discriminator, pitch-guided models at ${rate / 1000} kHz (f0D${rate / 1000}k, 105 MiB)`,
    hashSource: 'official' as const,
    sampleRate: rate,
  })),
  // BigVGAN v2 {"mpd","mrd","optim_g","optim_d",...}: 1.4-1.5 GB, nearly all optimizer state,
  // of which only the discriminator (~180 MB) is ever read. `-3msteps`: the 3M-step checkpoint.
  ...bigvganV2('44khz_128band_512x', 44100, 1525718216, '8e356f94202c588bc0ddac381be12ea822a68cb1cb26095de30831a59532de54', '25de6c7f1ed454ff992b7232df4942b67761892149050131cd6f63bca22e2058'),
  ...bigvganV2('24khz_100band_256x', 24000, 1447419080, '41f7718f34fbbd85975316e89b1fbb10e3fb36e7a0dc9e03aefa9b7aed65f8f5', 'efcc619cd2f6e7bd3f9827efeb63212a882e86eddd6e90da120c49d8b279ff90'),
  ...bigvganV2('22khz_80band_256x', 22050, 1445698760, '2d0960ae4abecc9a33cd989b8e124c13a436e54db8dc5ae32cd5a82e1bfc1a93', '3a6179837741c10337a8bd1a7fd2a2df3dfbc50d67c0be2c1567e09e58675d46'),
  // Hashed from the repository's first upload: marked 'mirror' so that a mismatch (a later
  // upload) says our pin may be stale rather than blaming the download.
  { ...bigvganV2('22khz_80band_fmax8k_256x', 22050, 1445698760, 'db7f84c295dc5e016c1fd389b2aa0245d87fb3d7c1f1aee21b9fc3ce988f105a')[0]!, hashSource: 'mirror' },
  {
    name: 'rvc-v2-f0d32k',
    family: 'rvc-v2',
    repo: 'lj1995/VoiceConversionWebUI',
    file: 'pretrained_v2/f0D32k.pth',
    sha256: 'bd7134e7793674c85474d5145d2d982e3c5d8124fc7bb6c20f710ed65808fa8a',
    bytes: null, // ~143 MB
    description: 'RVC v2 pretrained discriminator, pitch-guided models at 32 kHz (f0D32k, ~143 MB)',
    hashSource: 'official',
    sampleRate: 32000,
  },
  {
    // Its MPD and spectrogram D are scored; the WavLM D (`wd`) inside is not, nor the rest of `net`.
    name: 'styletts2-libritts',
    family: 'styletts2',
    repo: 'yl4579/StyleTTS2-LibriTTS',
    file: 'Models/LibriTTS/epochs_2nd_00020.pth',
    sha256: '1164ffe19a17449d2c722234cecaf2836b35a698fb8ffd42562d2663657dca0a',
    bytes: null, // ~771 MB
    description: 'StyleTTS 2 LibriTTS second-stage checkpoint, its MPD + spectrogram discriminator (~771 MB file)',
    hashSource: 'official',
    sampleRate: 24000,
  },
];

/** The published BigVGAN v2 discriminators of one configuration (plus its 3M-step file when hashed). */
function bigvganV2(config: string, rate: number, bytes: number, sha256: string, sha256At3m?: string): (ZooEntry & { readonly name: ModelName })[] {
  const name = `bigvgan-v2-${config.replace(/_/g, '-')}`;
  const entry = (suffix: string, hash: string, what: string) => ({
    name: `${name}${suffix.replace(/_/g, '-')}` as ModelName,
    family: 'bigvgan-v2' as const,
    repo: `nvidia/bigvgan_v2_${config}`,
    file: `bigvgan_discriminator_optimizer${suffix}.pt`,
    sha256: hash,
    bytes,
    description: `BigVGAN v2 ${config.replace(/_/g, ' ')} discriminator${what} (${(bytes / 2 ** 30).toFixed(2)} GiB file, ~180 MB read)`,
    hashSource: 'official' as const,
    sampleRate: rate,
  });
  return [entry('', sha256, ''), ...(sha256At3m ? [entry('_3msteps', sha256At3m, ' at 3M steps')] : [])];
}

export function modelNames(): ModelName[] {
  return ZOO.map((entry) => entry.name);
}

/** Looks a model up by name (case and surrounding spaces ignored); undefined when unknown. */
export function findModel(name: string): (ZooEntry & { readonly name: ModelName }) | undefined {
  const key = name.trim().toLowerCase();
  return ZOO.find((entry) => entry.name === key);
}

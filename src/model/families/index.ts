/** The registry of families. Add a family by adding a file and one line here. */
import type { FamilyName, FamilySpec } from '../types.js';
import { BIGVGAN_V1 } from './bigvgan.js';
import { BIGVGAN_V2 } from './bigvgan-v2.js';
import { GPT_SOVITS, GPT_SOVITS_V2PRO } from './gpt-sovits.js';
import { HIFIGAN } from './hifigan.js';
import { RVC_V1, RVC_V2 } from './rvc.js';
import { SOVITS5 } from './sovits5.js';
import { STYLETTS2 } from './styletts2.js';

export const FAMILIES: readonly FamilySpec[] = [GPT_SOVITS, GPT_SOVITS_V2PRO, SOVITS5, HIFIGAN, BIGVGAN_V1, BIGVGAN_V2, STYLETTS2, RVC_V1, RVC_V2];

/** Other names users reach for; they map onto the architecture that project trains with. */
const ALIASES: Readonly<Record<string, FamilyName>> = {
  vits: 'gpt-sovits',
  'so-vits-svc-4': 'gpt-sovits',
  'gpt-sovits-v1': 'gpt-sovits',
  'gpt-sovits-v2': 'gpt-sovits',
  'gpt-sovits-v2proplus': 'gpt-sovits-v2pro',
  'so-vits-svc-5': 'sovits5',
  'whisper-vits-svc': 'sovits5',
  'hifi-gan': 'hifigan',
  bigvgan: 'bigvgan-v1',
  'bigvgan2': 'bigvgan-v2',
  'style-tts2': 'styletts2',
  rvc: 'rvc-v2',
  applio: 'rvc-v2',
  'styletts-2': 'styletts2',
};

/** The built-in default: untrained sovits5 exercises all three kinds of sub-discriminator. */
export const DEFAULT_FAMILY: FamilyName = 'sovits5';

export function familyNames(): string[] {
  return FAMILIES.map((f) => f.name);
}

/** Looks a family up by name or alias; returns undefined when unknown (callers word the error). */
export function findFamily(name: string): FamilySpec | undefined {
  const key = name.trim().toLowerCase();
  const canonical = ALIASES[key] ?? key;
  return FAMILIES.find((f) => f.name === canonical);
}

export function getFamily(name: string): FamilySpec {
  const family = findFamily(name);
  if (!family) {
    throw new Error(`unknown family "${name}"; known families: ${familyNames().join(', ')}`);
  }
  return family;
}

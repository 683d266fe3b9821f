/** The zoo table and the pure path/URL/env rules: no server, no network. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import {
  cacheRoot,
  isOffline,
  modelBaseUrl,
  modelCachePath,
  modelUrl,
  resolveModelFile,
} from '../../src/zoo/index.js';
import { UsageError } from '../../src/errors.js';
import { findFamily } from '../../src/model/index.js';
import { ZOO, findModel, modelNames } from '../../src/model/zoo.js';
import { removeDir, tempDir } from '../helpers/temp.js';

describe('zoo table', () => {
  test('lists the four official GPT-SoVITS discriminators (the modern ones: modern.test.ts)', () => {
    expect(modelNames().filter((n) => n.startsWith('gpt-sovits'))).toEqual(['gpt-sovits-v1', 'gpt-sovits-v2', 'gpt-sovits-v2pro', 'gpt-sovits-v2proplus']);
    for (const entry of ZOO.filter((e) => e.name.startsWith('gpt-sovits'))) {
      expect(entry.repo).toBe('lj1995/GPT-SoVITS');
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.bytes).toBeGreaterThan(90_000_000);
      expect(findFamily(entry.family)?.name).toBe(entry.family);
    }
    expect(findModel('gpt-sovits-v2')).toMatchObject({
      family: 'gpt-sovits',
      file: 'gsv-v2final-pretrained/s2D2333k.pth',
      sha256: '8ae7fe8dd8c8f2e718de359e00edac88b0c71ab2fd10b07ad4cc45070eb8a836',
      bytes: 93534164,
      hashSource: 'official',
    });
    expect(findModel(' GPT-SoVITS-v2ProPlus ')?.file).toBe('v2Pro/s2Dv2ProPlus.pth');
    expect(findModel('gpt-sovits-v2pro')).toMatchObject({ family: 'gpt-sovits-v2pro', hashSource: 'mirror' });
    expect(findModel('nope')).toBeUndefined();
  });

  test('zoo.ts stays pure data: it imports nothing but types', () => {
    const source = readFileSync(path.resolve('src/model/zoo.ts'), 'utf8');
    const imports = source.match(/^import .*$/gm) ?? [];
    expect(imports.every((line) => line.startsWith('import type '))).toBe(true);
  });
});

describe('where files come from and go to', () => {
  const entry = findModel('gpt-sovits-v2')!;

  test('cache dir: option, then TTS_CRITIC_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    const env = { TTS_CRITIC_CACHE: '/env/cache', XDG_CACHE_HOME: '/xdg' };
    expect(cacheRoot({ cacheDir: '/opt/c', env })).toBe(path.resolve('/opt/c'));
    expect(cacheRoot({ env })).toBe(path.resolve('/env/cache'));
    expect(cacheRoot({ env: { XDG_CACHE_HOME: '/xdg' } })).toBe(path.resolve('/xdg/tts-critic'));
    expect(cacheRoot({ env: { TTS_CRITIC_CACHE: '', XDG_CACHE_HOME: '' } })).toBe(path.join(homedir(), '.cache', 'tts-critic'));
    expect(cacheRoot({ cacheDir: 'rel', env: {} })).toBe(path.resolve('rel'));
  });

  test('cache layout is content-addressed by sha256', () => {
    expect(modelCachePath(entry, { cacheDir: '/c', env: {} })).toBe(
      path.resolve('/c', 'models', entry.sha256, 's2D2333k.pth'),
    );
  });

  test('base URL: option, then TTS_CRITIC_MODEL_URL, then HF_ENDPOINT, then huggingface.co', () => {
    const env = { TTS_CRITIC_MODEL_URL: 'http://own.example/', HF_ENDPOINT: 'https://hf-mirror.com' };
    expect(modelBaseUrl({ baseUrl: 'http://opt.example//', env })).toBe('http://opt.example');
    expect(modelBaseUrl({ env })).toBe('http://own.example');
    expect(modelBaseUrl({ env: { HF_ENDPOINT: 'https://hf-mirror.com' } })).toBe('https://hf-mirror.com');
    expect(modelBaseUrl({ env: {} })).toBe('https://huggingface.co');
    expect(modelUrl(entry, { env: {} })).toBe(
      'https://huggingface.co/lj1995/GPT-SoVITS/resolve/main/gsv-v2final-pretrained/s2D2333k.pth',
    );
    expect(modelUrl(entry, { env: { HF_ENDPOINT: 'https://hf-mirror.com/' } })).toBe(
      'https://hf-mirror.com/lj1995/GPT-SoVITS/resolve/main/gsv-v2final-pretrained/s2D2333k.pth',
    );
  });

  test('offline: explicit option wins, else TTS_CRITIC_OFFLINE or HF_HUB_OFFLINE', () => {
    expect(isOffline({ env: {} })).toBe(false);
    expect(isOffline({ env: { TTS_CRITIC_OFFLINE: '1' } })).toBe(true);
    expect(isOffline({ env: { HF_HUB_OFFLINE: 'true' } })).toBe(true);
    expect(isOffline({ env: { HF_HUB_OFFLINE: '0' } })).toBe(false);
    expect(isOffline({ offline: false, env: { HF_HUB_OFFLINE: '1' } })).toBe(false);
    expect(isOffline({ offline: true, env: {} })).toBe(true);
  });
});

describe('errors before any network use', () => {
  test('an unknown model name lists the known ones', async () => {
    const error = await resolveModelFile('gpt-sovits-v9', { offline: true, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/unknown model "gpt-sovits-v9"; known models: gpt-sovits-v1, gpt-sovits-v2, /);
  });

  test('offline without a cached real model says where to put it and where to get it', async () => {
    const cacheDir = tempDir('zoo');
    const error = (await resolveModelFile('gpt-sovits-v2pro', { cacheDir, env: { HF_HUB_OFFLINE: '1' } })
      .catch((e: unknown) => e)
      .finally(() => removeDir(cacheDir))) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(modelCachePath(findModel('gpt-sovits-v2pro')!, { cacheDir }));
    expect(error.message).toContain('https://huggingface.co/lj1995/GPT-SoVITS/resolve/main/v2Pro/s2Dv2Pro.pth');
    expect(error.message).toContain('--weights FILE');
  });

  test('a non-http base URL is refused', async () => {
    const error = await resolveModelFile('gpt-sovits-v1', { baseUrl: 'ftp://example.org', env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/must be http/);
  });
});

/**
 * The zoo entries of the modern families (RVC v1 pretrained f0 discriminators, BigVGAN v2):
 * the table, and a download from the local stand-in for Hugging Face at the path a real entry
 * uses, loaded at the entry's rate (the RVC files themselves do not state one).
 */
import { createScorer } from '../../src/index.js';
import { findFamily } from '../../src/model/index.js';
import { ZOO, findModel, type ZooEntry } from '../../src/model/zoo.js';
import { modelUrl, resolveModelFile } from '../../src/zoo/index.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { stateDict, torchZip, weightNormKeys } from '../support/checkpoint-writers/writers.js';
import { tinyWeights } from '../helpers/tiny-model.js';
import { fakeEntry, sha256, startServerAndCache, stopServerAndCache, type FakeServer } from './helpers.js';

describe('modern entries in the table', () => {
  test('RVC v1 f0D 32/40 kHz, BigVGAN v2 (three configurations, each also at 3M steps, plus fmax8k), RVC v2 f0D32k, StyleTTS 2 LibriTTS', () => {
    const modern = ZOO.filter((e) => !e.name.startsWith('gpt-sovits'));
    expect(modern.map((e) => [e.name, e.family, e.sampleRate])).toEqual([
      ['rvc-v1-f0d32k', 'rvc-v1', 32000],
      ['rvc-v1-f0d40k', 'rvc-v1', 40000],
      ['bigvgan-v2-44khz-128band-512x', 'bigvgan-v2', 44100],
      ['bigvgan-v2-44khz-128band-512x-3msteps', 'bigvgan-v2', 44100],
      ['bigvgan-v2-24khz-100band-256x', 'bigvgan-v2', 24000],
      ['bigvgan-v2-24khz-100band-256x-3msteps', 'bigvgan-v2', 24000],
      ['bigvgan-v2-22khz-80band-256x', 'bigvgan-v2', 22050],
      ['bigvgan-v2-22khz-80band-256x-3msteps', 'bigvgan-v2', 22050],
      ['bigvgan-v2-22khz-80band-fmax8k-256x', 'bigvgan-v2', 22050],
      ['rvc-v2-f0d32k', 'rvc-v2', 32000],
      ['styletts2-libritts', 'styletts2', 24000],
    ]);
    // Only these two lack a pinned size (the reference gives ~143 MB and ~771 MB).
    expect(ZOO.filter((e) => e.bytes === null).map((e) => e.name)).toEqual(['rvc-v2-f0d32k', 'styletts2-libritts']);
    for (const entry of ZOO) {
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(findFamily(entry.family)?.name).toBe(entry.family);
      expect(entry.sampleRate).toBeGreaterThanOrEqual(16000);
    }
    expect(new Set(ZOO.map((e) => e.sha256)).size).toBe(ZOO.length);
    expect(modelUrl(findModel('rvc-v1-f0d40k')!, { env: {} })).toBe('https://huggingface.co/lj1995/VoiceConversionWebUI/resolve/main/pretrained/f0D40k.pth');
    expect(findModel('bigvgan-v2-24khz-100band-256x-3msteps')).toMatchObject({
      repo: 'nvidia/bigvgan_v2_24khz_100band_256x',
      file: 'bigvgan_discriminator_optimizer_3msteps.pt',
      bytes: 1447419080,
      sha256: 'efcc619cd2f6e7bd3f9827efeb63212a882e86eddd6e90da120c49d8b279ff90',
      hashSource: 'official',
    });
    // Hashed from the first upload: a mismatch must say the pin may be stale.
    expect(findModel('bigvgan-v2-22khz-80band-fmax8k-256x')?.hashSource).toBe('mirror');
  });
});

describe('downloading an RVC-style entry and scoring at its rate', () => {
  let server: FakeServer;
  let cacheDir: string;
  const saved = process.env.TTS_CRITIC_MODEL_URL;
  beforeEach(async () => {
    ({ server, cacheDir } = await startServerAndCache());
    process.env.TTS_CRITIC_MODEL_URL = server.origin;
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.TTS_CRITIC_MODEL_URL;
    else process.env.TTS_CRITIC_MODEL_URL = saved;
    await stopServerAndCache(server, cacheDir);
  });

  test('the file comes from <repo>/resolve/main/pretrained/f0D32k.pth, loads as rvc-v1 at 32 kHz (the entry\'s rate)', async () => {
    // The layout of the official file: {"model": OrderedDict} of fp16 weight-norm tensors.
    const data = Buffer.from(torchZip(new Map([['model', stateDict(weightNormKeys(tinyWeights('rvc-v1')), 'float16')]])));
    const entry: ZooEntry = fakeEntry({ name: 'rvc-test-f0d32k', family: 'rvc-v1', repo: 'lj1995/VoiceConversionWebUI', file: 'pretrained/f0D32k.pth', sha256: sha256(data), bytes: data.length, sampleRate: 32000 });
    server.serveFile('/lj1995/VoiceConversionWebUI/resolve/main/pretrained/f0D32k.pth', data);
    const scorer = await createScorer({ model: entry, cacheDir, sessionCache: false });
    try {
      expect(scorer.model).toMatchObject({ family: 'rvc-v1', sampleRate: 32000, sampleRateSource: 'model zoo entry rvc-test-f0d32k', precision: 'float16', sha256: sha256(data) });
    } finally {
      await scorer.dispose();
    }
    expect(server.hits.map((h) => h.path)).toEqual(['/lj1995/VoiceConversionWebUI/resolve/main/pretrained/f0D32k.pth']);
    // Cached now; --sample-rate still wins over the entry's rate.
    const at48 = await createScorer({ model: entry, cacheDir, sessionCache: false, sampleRate: 48000 });
    try {
      expect(at48.model).toMatchObject({ sampleRate: 48000, sampleRateSource: '--sample-rate' });
    } finally {
      await at48.dispose();
    }
    expect(server.hits).toHaveLength(1);
  });

  test('an entry without a pinned size (bytes null): progress uses the announced length, the sha256 decides, the cache is reused', async () => {
    const data = Buffer.from(torchZip(new Map([['model', stateDict(weightNormKeys(tinyWeights('rvc-v2')), 'float16')]])));
    const entry: ZooEntry = fakeEntry({ name: 'rvc-test-v2', family: 'rvc-v2', repo: 'lj1995/VoiceConversionWebUI', file: 'pretrained_v2/f0D32k.pth', sha256: sha256(data), bytes: null, sampleRate: 32000 });
    const url = '/lj1995/VoiceConversionWebUI/resolve/main/pretrained_v2/f0D32k.pth';
    server.serveFile(url, data, { chunk: 65536 });
    const totals = new Set<number | null>();
    const first = await resolveModelFile(entry, { cacheDir, baseUrl: server.origin, env: {}, retryDelayMs: 0, onProgress: (_, total) => totals.add(total) });
    expect(first.downloaded).toBe(true);
    expect([...totals]).toEqual([data.length]);
    expect((await loadCheckpoint(first.path, { sampleRate: 32000 })).info).toMatchObject({ family: 'rvc-v2', sha256: sha256(data) });
    const again = await resolveModelFile(entry, { cacheDir, baseUrl: server.origin, env: {}, retryDelayMs: 0 });
    expect(again.downloaded).toBe(false);
    expect(server.hits).toHaveLength(1);
    // Another file at that URL fails on the hash, whatever its size, and nothing is cached.
    const other = fakeEntry({ ...entry, name: 'rvc-test-v2-other', sha256: sha256(Buffer.from('x')) });
    const error = await resolveModelFile(other, { cacheDir, baseUrl: server.origin, env: {}, retryDelayMs: 0 }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/sha256 mismatch for model "rvc-test-v2-other" .*expected [0-9a-f]{64}, got [0-9a-f]{64} \(\d+ bytes\)/);
  });
});

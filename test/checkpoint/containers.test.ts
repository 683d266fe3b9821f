/**
 * The training containers of the modern families, written with the fixture writers: each maps
 * onto the canonical flat keys, the family is detected from the file alone, keys a family
 * would leave unread are refused by name, non-discriminator tensors are never read, and the
 * rate comes from the checkpoint's metadata or the training config beside it.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CheckpointError, UsageError } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { readCheckpoint } from '../../src/checkpoint/load.js';
import { MemorySource } from '../../src/checkpoint/source.js';
import { yamlScalar } from '../../src/checkpoint/rate.js';
import {
  adamWState,
  omegaconfDict,
  orderedDict,
  pyFloat,
  stateDict,
  tensor,
  torchZip,
  weightNormKeys,
  withPrefix,
  type SaveValue,
  type StateDict,
} from '../support/checkpoint-writers/writers.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { goldenDir, tinyWeights } from './helpers.js';

const rvc2 = tinyWeights('rvc-v2');
const rvc1 = tinyWeights('rvc-v1');
const styletts = tinyWeights('styletts2');

/** Keys of `sd` starting with `prefix`, with that prefix removed (one module's own state dict). */
function module(sd: StateDict, prefix: string): StateDict {
  return new Map([...sd].filter(([key]) => key.startsWith(prefix)).map(([key, t]) => [key.slice(prefix.length), t]));
}

const generator: StateDict = new Map([
  ['backbone.embed.weight', { shape: [8, 4, 7], data: new Float32Array(8 * 4 * 7).fill(0.5) }],
  ['backbone.embed.bias', { shape: [8], data: new Float32Array(8) }],
  ['melspec_loss.mel_spec.spectrogram.window', { shape: [16], data: new Float32Array(16).fill(1) }],
]);

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: Error) => e);

describe('RVC', () => {
  test('training D_*.pth {"model","iteration","optimizer","learning_rate"} is rvc-v2, optimizer unread', async () => {
    const file = torchZip(new Map<string, SaveValue>([
      ['model', stateDict(weightNormKeys(rvc2))],
      ['iteration', 2333],
      ['optimizer', adamWState(weightNormKeys(rvc2))],
      ['learning_rate', pyFloat(1e-4)],
    ]));
    const source = new MemorySource(file);
    let bytesRead = 0;
    const read = source.read.bind(source);
    source.read = async (offset, length, what) => {
      bytesRead += length;
      return read(offset, length, what);
    };
    const loaded = await readCheckpoint(source);
    expect(loaded.model.family.name).toBe('rvc-v2');
    expect(loaded.model.subs.map((s) => s.name)).toEqual(['s', 'p2', 'p3', 'p5', 'p7', 'p11', 'p17', 'p23', 'p37']);
    // The AdamW state is twice the weights: a loader that read it would read > 2/3 of the file.
    expect(bytesRead).toBeLessThan(0.4 * file.length);
  });

  test('v1 (periods up to 17) is rvc-v1; gpt-sovits and v2Pro files keep their families', async () => {
    expect((await loadCheckpoint(torchZip(new Map([['model', stateDict(weightNormKeys(rvc1))]])))).info.family).toBe('rvc-v1');
    expect((await loadCheckpoint(torchZip(new Map([['model', stateDict(tinyWeights('gpt-sovits-v2pro'))]])))).info.family).toBe('gpt-sovits-v2pro');
    expect((await loadCheckpoint(torchZip(new Map([['weight', stateDict(tinyWeights('gpt-sovits'))]])))).info.family).toBe('gpt-sovits');
  });

  test('pretrained f0D48k.pth: {"model": OrderedDict} of fp16 tensors', async () => {
    const loaded = await loadCheckpoint(torchZip(new Map([['model', stateDict(weightNormKeys(rvc2), 'float16')]])));
    expect(loaded.info).toMatchObject({ family: 'rvc-v2', precision: 'float16', layout: "{'model'}" });
  });

  test("Applio's parametrized weight norm (parametrizations.weight.original0/1)", async () => {
    const loaded = await loadCheckpoint(torchZip(new Map([['model', stateDict(weightNormKeys(rvc2, { api: 'parametrizations' }))]])));
    expect(loaded.info.family).toBe('rvc-v2');
    const w = loaded.model.weights.get('discriminators.8.convs.2.weight')!;
    const expected = rvc2.get('discriminators.8.convs.2.weight')!;
    expect(Math.max(...w.data.map((x, i) => Math.abs(x - expected.data[i]!)))).toBeLessThan(1e-6);
  });

  test('keys the chosen family leaves unread are refused by name, also when the family is forced', async () => {
    const file = torchZip(new Map([['model', stateDict(rvc2)]]));
    const forced = await failure(loadCheckpoint(file, { family: 'gpt-sovits-v2pro' }));
    expect(forced).toBeInstanceOf(CheckpointError);
    expect(forced.message).toMatch(/12 discriminator keys that family gpt-sovits-v2pro \(discriminators\.0\.\.7\) does not use: discriminators\.8\.\* \(12 keys\)/);
    // One stray conv in an otherwise complete v2 file: no family fits; the closest names it.
    const stray = new Map(rvc2);
    stray.set('discriminators.3.convs.9.weight', { shape: [4, 4, 5, 1], data: new Float32Array(80) });
    const error = await failure(loadCheckpoint(torchZip(new Map([['model', stateDict(stray)]]))));
    expect(error.message).toMatch(/1 discriminator key that family rvc-v2 .* does not use: discriminators\.3\.\*; e\.g\. "discriminators\.3\.convs\.9\.weight"/);
  });
});

describe('StyleTTS 2 {"net": {...}}', () => {
  const net = (prefix: string, extra: [string, StateDict][] = []) =>
    torchZip(new Map<string, SaveValue>([
      ['net', new Map<string, SaveValue>([
        ['decoder', stateDict(withPrefix(generator, 'module.'))],
        ['mpd', stateDict(withPrefix(weightNormKeys(module(styletts, 'mpd.')), prefix))],
        ['msd', stateDict(withPrefix(weightNormKeys(module(styletts, 'msd.')), prefix))],
        ['wd', stateDict(withPrefix(weightNormKeys(new Map([['pre.weight', { shape: [4, 13, 1], data: new Float32Array(52).fill(0.1) }]])), prefix))],
        ...extra.map(([name, sd]) => [name, stateDict(sd)] as [string, SaveValue]),
      ])],
      ['optimizer', [new Map<string, SaveValue>([['mpd', adamWState(module(styletts, 'mpd.'))]])]],
      ['iters', 1234],
      ['val_loss', pyFloat(0.3)],
      ['epoch', 20],
    ]));

  test.each(['', 'module.'])("mpd/msd/wd with prefix '%s': styletts2, the WavLM D (wd) and the decoder accepted unread", async (prefix) => {
    const loaded = await loadCheckpoint(net(prefix));
    expect(loaded.info.family).toBe('styletts2');
    expect(loaded.info.sampleRate).toBe(24000);
    expect([...loaded.model.weights.keys()].some((k) => k.startsWith('wd.') || k.startsWith('decoder.'))).toBe(false);
  });

  test('an extra MRSD resolution is refused by name', async () => {
    const extra = new Map([...module(styletts, 'msd.')].filter(([k]) => k.startsWith('discriminators.2.')).map(([k, t]) => [k.replace('discriminators.2.', 'discriminators.3.'), t]));
    const file = torchZip(new Map<string, SaveValue>([['net', new Map<string, SaveValue>([
      ['mpd', stateDict(module(styletts, 'mpd.'))],
      ['msd', stateDict(new Map([...module(styletts, 'msd.'), ...extra]))],
    ])]]));
    expect((await failure(loadCheckpoint(file))).message).toMatch(/discriminator keys that family styletts2 .* does not use: msd\.discriminators\.3\.\* \(12 keys\)/);
  });
});

describe('Lightning .ckpt, AudioCraft checkpoint.th, DAC folders', () => {
  test('Lightning: discriminators inside state_dict beside generator and loss modules; rate from hyper_parameters', async () => {
    const file = torchZip(new Map<string, SaveValue>([
      ['epoch', 2],
      ['global_step', 4000],
      ['pytorch-lightning_version', '1.8.6'],
      ['state_dict', stateDict(new Map([...generator, ...weightNormKeys(rvc2)]))],
      ['optimizer_states', [new Map<string, SaveValue>([['state', new Map()], ['param_groups', []]])]],
      ['hparams_name', 'kwargs'],
      ['hyper_parameters', new Map<string, SaveValue>([['sample_rate', 48000], ['mel_loss_coeff', 45]])],
    ]));
    const loaded = await loadCheckpoint(file);
    expect(loaded.info).toMatchObject({ family: 'rvc-v2', sampleRate: 48000, sampleRateSource: 'hyper_parameters.sample_rate in the checkpoint' });
    expect(loaded.model.family.sampleRate).toBe(48000);
    // The checkpoint says 48 kHz: another rate is a usage error; the same one is fine.
    const contradiction = await failure(loadCheckpoint(file, { sampleRate: 40000 }));
    expect(contradiction).toBeInstanceOf(UsageError);
    expect(contradiction.message).toBe('--sample-rate 40000 contradicts the checkpoint, whose hyper_parameters.sample_rate says 48000; the networks were trained at 48000 Hz');
    expect((await loadCheckpoint(file, { sampleRate: 48000 })).info.sampleRateSource).toBe('--sample-rate');
  });

  test('AudioCraft: adv_losses with a nested optimizer dict; xp.cfg an omegaconf DictConfig kept inert, its sample_rate read', async () => {
    const adv = new Map<string, SaveValue>([
      ['msstftd.optimizer', new Map<string, SaveValue>([['state', new Map([[0, new Map<string, SaveValue>([['exp_avg', tensor([3], new Float32Array(3))]])]])], ['param_groups', []]])],
      ...[...stateDict(weightNormKeys(rvc2)).entries].map(([k, v]) => [String(k), v] as [string, SaveValue]),
    ]);
    const file = torchZip(new Map<string, SaveValue>([
      ['history', []],
      ['xp.cfg', omegaconfDict(new Map<string, SaveValue>([['solver', 'compression'], ['sample_rate', 32000], ['msstftd', new Map<string, SaveValue>([['filters', 32]])]]))],
      ['xp.sig', '9a3f5c21'],
      ['model', stateDict(withPrefix(generator, 'encoder.'))],
      ['adv_losses', orderedDict(adv)],
    ]));
    const loaded = await loadCheckpoint(file);
    expect(loaded.info).toMatchObject({ family: 'rvc-v2', sampleRate: 32000, sampleRateSource: 'xp.cfg.sample_rate in the checkpoint' });
  });

  test('an omegaconf object is inert data; a foreign global inside one still refuses the file', async () => {
    const cfg = omegaconfDict(new Map<string, SaveValue>([['sample_rate', { kind: 'call', module: 'os', name: 'system', args: ['true'] }]]));
    const file = torchZip(new Map<string, SaveValue>([['xp.cfg', cfg], ['adv_losses', stateDict(rvc2)]]));
    expect((await failure(loadCheckpoint(file))).message).toMatch(/refers to "os.system", which a state dict never needs/);
  });

  test('DAC: the folder latest/, latest/discriminator/ or weights.pth; metadata kwargs (class defaults) are not a rate', async () => {
    const dir = tempDir('dac-folder');
    try {
      const folder = path.join(dir, 'latest', 'discriminator');
      mkdirSync(folder, { recursive: true });
      const weights = path.join(folder, 'weights.pth');
      writeFileSync(weights, torchZip(new Map<string, SaveValue>([
        ['state_dict', stateDict(weightNormKeys(rvc1))],
        ['metadata', new Map<string, SaveValue>([['kwargs', new Map<string, SaveValue>([['sample_rate', 44100], ['rates', []]])]])],
      ])));
      writeFileSync(path.join(folder, 'optimizer.pth'), torchZip(new Map([['state', new Map()]])));
      for (const given of [path.join(dir, 'latest'), folder, weights]) {
        const loaded = await loadCheckpoint(given);
        expect(loaded.info).toMatchObject({ path: weights, family: 'rvc-v1', sampleRate: 40000, sampleRateSource: 'family default (rvc-v1)' });
      }
      expect((await failure(loadCheckpoint(dir))).message).toMatch(/is a folder without "weights.pth" or "discriminator\/weights.pth"/);
    } finally {
      removeDir(dir);
    }
  });
});

describe('the rate from a training config beside the checkpoint', () => {
  test('BigVGAN v2 states its rate in its CQT buffers, above a config.json beside it; StyleTTS 2 config.yml (preprocess_params.sr)', async () => {
    const dir = tempDir('rate-beside');
    try {
      mkdirSync(path.join(dir, 'bigvgan'));
      const big = path.join(dir, 'bigvgan', 'bigvgan_discriminator_optimizer.pt');
      symlinkSync(path.join(goldenDir, 'bigvgan-v2', 'bigvgan_discriminator_optimizer.pt'), big);
      writeFileSync(path.join(dir, 'bigvgan', 'config.json'), JSON.stringify({ resblock: '1', sampling_rate: 22050, use_cqtd_instead_of_mrd: true }));
      // The golden file's CQT lengths are those of 24 kHz (its config): they win over a stale config.json.
      expect((await loadCheckpoint(big)).info).toMatchObject({
        family: 'bigvgan-v2',
        sampleRate: 24000,
        sampleRateSource: "mrd.discriminators.0.cqt_transform.lenghts in the checkpoint (the CQT kernels' rate)",
      });
      const contradiction = await failure(loadCheckpoint(big, { sampleRate: 44100 }));
      expect(contradiction).toBeInstanceOf(UsageError);
      expect(contradiction.message).toMatch(/^--sample-rate 44100 contradicts the checkpoint, whose mrd\.discriminators\.0\.cqt_transform\.lenghts says 24000/);
      // A file whose rate only the config knows: RVC's layout, with BigVGAN's config key.
      writeFileSync(path.join(dir, 'bigvgan', 'D_1000.pth'), torchZip(new Map([['model', stateDict(rvc2)]])));
      expect((await loadCheckpoint(path.join(dir, 'bigvgan', 'D_1000.pth'))).info).toMatchObject({ family: 'rvc-v2', sampleRate: 22050, sampleRateSource: `sampling_rate in ${path.join(dir, 'bigvgan', 'config.json')}` });
      mkdirSync(path.join(dir, 'styletts'));
      writeFileSync(path.join(dir, 'styletts', 'epoch_2nd_00020.pth'), torchZip(new Map([['net', new Map<string, SaveValue>([['mpd', stateDict(module(styletts, 'mpd.'))], ['msd', stateDict(module(styletts, 'msd.'))]])]])));
      writeFileSync(path.join(dir, 'styletts', 'config.yml'), 'log_dir: "Models/LJSpeech"\npreprocess_params:\n  sr: 22050 # LJSpeech\n  spect_params:\n    n_fft: 2048\nmodel_params:\n  sr: 16000\n');
      const style = await loadCheckpoint(path.join(dir, 'styletts', 'epoch_2nd_00020.pth'));
      expect(style.info).toMatchObject({ family: 'styletts2', sampleRate: 22050, sampleRateSource: `preprocess_params.sr in ${path.join(dir, 'styletts', 'config.yml')}` });
    } finally {
      removeDir(dir);
    }
  });

  test('yamlScalar reads nested block mappings and nothing outside the path', () => {
    const text = 'a:\n  b: 1\n  c:\n    d: "x"\ne:\n  d: 2\n';
    expect(yamlScalar(text, ['a', 'c', 'd'])).toBe('x');
    expect(yamlScalar(text, ['a', 'b'])).toBe('1');
    expect(yamlScalar(text, ['a', 'd'])).toBeUndefined();
    expect(yamlScalar(text, ['e', 'd'])).toBe('2');
  });

  test('--sample-rate outside 4000..384000 Hz or not whole is a usage error', async () => {
    const file = torchZip(new Map([['model', stateDict(rvc2)]]));
    for (const rate of [0, 1000, 44100.5, 500000]) {
      const error = await failure(loadCheckpoint(file, { sampleRate: rate }));
      expect(error).toBeInstanceOf(UsageError);
    }
  });
});

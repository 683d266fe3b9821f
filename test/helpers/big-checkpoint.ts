/**
 * A BigVGAN-v2-shaped training checkpoint of the published files' size, written without ever
 * holding it: `bigvgan_discriminator_optimizer.pt` = {"mpd", "mrd", "optim_g", "optim_d",
 * "steps", "epoch"} with the full-size discriminator (weight norm as weight_g/weight_v, plain
 * conv_pres/convs.0 of the CQT-D, the CQT and resampler buffers), AdamW state for it in
 * optim_d, and generator-sized AdamW state in optim_g (what makes the real files 1.4-1.5 GB).
 * Every storage is its own zip record, as torch writes them, but all of them view one shared
 * pattern buffer, so writing needs the memory of the largest tensor, not of the file.
 */
import { convEntries, getFamily } from '../../src/model/index.js';
import { derivedBuffers } from '../../src/model/cqt-kernels.js';
import { pyFloat, stateDict, tensor, torchZipPieces, writeCheckpointFile, type SaveValue, type StateTensor } from '../support/checkpoint-writers/writers.js';

export interface BigCheckpoint {
  /** Bytes of the file. */
  readonly bytes: number;
  /** Bytes of the discriminator's own tensors (mpd + mrd, as stored: fp32). */
  readonly discriminatorBytes: number;
}

/** Writes the file at `file`, about `targetBytes` long (default 1.5 GB, the 44 kHz files' 1,525,718,216). */
export async function writeBigVganV2Checkpoint(file: string, targetBytes = 1.5e9): Promise<BigCheckpoint> {
  const family = getFamily('bigvgan-v2');
  const entries = family.subs.flatMap((sub) => convEntries(sub).map((entry) => ({ ...entry, sub })));
  const shapes = entries.map((e) => [e.layer.out, e.layer.in / e.layer.groups, ...e.layer.kernel]);
  const largest = Math.max(...shapes.map((s) => s.reduce((a, b) => a * b, 1)));
  // Finite, never-zero rows (weight norm divides by each row's norm), cheap to make.
  const pattern = Float32Array.from({ length: largest }, (_, i) => 0.01 * (1 + ((i * 2654435761) % 97) / 97));
  const view = (shape: readonly number[]): StateTensor => ({ shape, data: pattern.subarray(0, shape.reduce((a, b) => a * b, 1)) });

  const modules = { mpd: new Map<string, StateTensor>(), mrd: new Map<string, StateTensor>() };
  entries.forEach((entry, i) => {
    const shape = shapes[i]!;
    const [name, ...rest] = entry.base.split('.');
    const target = modules[name as 'mpd' | 'mrd'];
    const key = rest.join('.');
    const plain = entry.layer.norm === 'none' || (entry.sub.input.kind === 'cqt' && entry.role === 'conv' && entry.index === 0);
    if (plain) target.set(`${key}.weight`, view(shape));
    else {
      target.set(`${key}.weight_g`, view([shape[0]!, ...shape.slice(1).map(() => 1)]));
      target.set(`${key}.weight_v`, view(shape));
    }
    target.set(`${key}.bias`, view([shape[0]!]));
  });
  for (const sub of family.subs) {
    for (const [key, tensor] of derivedBuffers(sub, family.sampleRate)) modules.mrd.set(key.replace(/^mrd\./, ''), tensor);
  }
  const discriminatorBytes = [...modules.mpd.values(), ...modules.mrd.values()].reduce((n, t) => n + 4 * t.data.length, 0);

  // AdamW state: exp_avg and exp_avg_sq per parameter (buffers have none), 0-dim step.
  const adam = (tensors: Iterable<StateTensor>): Map<string, SaveValue> => {
    const state = new Map<number, SaveValue>();
    let index = 0;
    for (const t of tensors) {
      state.set(index++, new Map<string, SaveValue>([
        ['step', tensor([], Float32Array.of(1000))],
        ['exp_avg', tensor(t.shape, view(t.shape).data)],
        ['exp_avg_sq', tensor(t.shape, view(t.shape).data)],
      ]));
    }
    const group = new Map<string, SaveValue>([['lr', pyFloat(1e-4)], ['betas', { kind: 'tuple', items: [pyFloat(0.8), pyFloat(0.99)] }], ['params', Array.from({ length: index }, (_, i) => i)]]);
    return new Map<string, SaveValue>([['state', state], ['param_groups', [group]]]);
  };
  const parameters = [...modules.mpd, ...modules.mrd].filter(([key]) => !key.includes('cqt_transform') && !key.includes('resample')).map(([, t]) => t);
  const optimD = adam(parameters);
  // The generator's AdamW state fills the rest, in tensors no larger than the discriminator's.
  const overhead = 4e6;
  const generatorParams = Math.max(0, Math.floor((targetBytes - 3 * discriminatorBytes - overhead) / 8));
  const generator: StateTensor[] = [];
  for (let left = generatorParams; left > 0; ) {
    const rows = Math.min(Math.floor(largest / 1536), Math.ceil(left / 1536));
    generator.push(view([rows, 512, 3]));
    left -= rows * 1536;
  }
  const pieces = torchZipPieces(new Map<string, SaveValue>([
    ['mpd', stateDict(modules.mpd)],
    ['mrd', stateDict(modules.mrd)],
    ['optim_g', adam(generator)],
    ['optim_d', optimD],
    ['steps', 3000000],
    ['epoch', 120],
  ]), { folder: 'bigvgan_discriminator_optimizer' });
  await writeCheckpointFile(file, pieces);
  return { bytes: pieces.reduce((n, p) => n + p.length, 0), discriminatorBytes };
}

/**
 * Fixture writers: small, honest encoders of the files PyTorch itself writes, for tests, the
 * benchmark and other modules' end-to-end tests. Nothing here is used to load checkpoints.
 *
 * - {@link torchZip}: `torch.save` (zip format, torch >= 1.6), any top-level value, fp32/fp16/
 *   bf16/fp64 storages, little- or big-endian (`byteorder` record), optional ZIP64 fields.
 * - {@link torchLegacy}: `torch.save(..., _use_new_zipfile_serialization=False)`.
 * - {@link safetensors}: `safetensors.torch.save_file` of a flat state dict.
 * - {@link stateDict}, {@link weightNormKeys}, {@link spectralNormKeys}, {@link withPrefix},
 *   {@link adamWState}: build the values those files hold, e.g.
 *   `torchZip(new Map([['weight', stateDict(weightNormKeys(sd), 'float16')]]))` is the layout
 *   of GPT-SoVITS's s2D488k.pth.
 */
import { open } from 'node:fs/promises';
import { encodeFloats, type FloatDType } from './encode.js';
import { Pickler, type SaveObject, type SaveCall, type SaveFloat, type SaveOrderedDict, type SaveStorage, type SaveTensor, type SaveTuple, type SaveValue } from './write-pickle.js';
import { zipStored, type ZipRecord } from './write-zip.js';

export type { SaveCall, SaveObject, SaveFloat, SaveOrderedDict, SaveStorage, SaveTensor, SaveTuple, SaveValue } from './write-pickle.js';

export type WriterDtype = FloatDType;

/** One state-dict entry: float32 values in C order; `dtype` overrides the file's choice. */
export interface StateTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly dtype?: WriterDtype;
}

export type StateDict = ReadonlyMap<string, StateTensor>;

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = step;
    step *= shape[i]!;
  }
  return stride;
}

// ---- value builders ------------------------------------------------------------------------

export function storage(data: Float32Array, dtype: WriterDtype = 'float32'): SaveStorage {
  return { kind: 'storage', data, dtype };
}

/** A contiguous tensor with a storage of its own. */
export function tensor(shape: readonly number[], data: Float32Array, dtype: WriterDtype = 'float32'): SaveTensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel !== data.length) throw new Error(`shape [${shape.join(', ')}] needs ${numel} values, got ${data.length}`);
  return { kind: 'tensor', storage: storage(data, dtype), offset: 0, shape, stride: contiguousStride(shape) };
}

/** A view into a shared storage (element offset and strides, as `Tensor.as_strided`). */
export function view(of: SaveStorage, offset: number, shape: readonly number[], stride?: readonly number[]): SaveTensor {
  return { kind: 'tensor', storage: of, offset, shape, stride: stride ?? contiguousStride(shape) };
}

export function tuple(...items: SaveValue[]): SaveTuple {
  return { kind: 'tuple', items };
}

/** A Python float (integral JS numbers would otherwise be written as ints). */
export function pyFloat(value: number): SaveFloat {
  return { kind: 'float', value };
}

export function orderedDict(entries: ReadonlyMap<string | number, SaveValue>, metadata?: SaveValue): SaveOrderedDict {
  return metadata === undefined ? { kind: 'ordered', entries } : { kind: 'ordered', entries, metadata };
}

/**
 * A call of an arbitrary global, e.g. `pythonCall('os', 'system', ['echo hi'])`. Only for tests
 * proving that such files are refused: a loader must never run it.
 */
export function pythonCall(module: string, name: string, args: readonly SaveValue[]): SaveCall {
  return { kind: 'call', module, name, args };
}

/** An instance of `module.name` as pickle protocol 2 writes plain objects (NEWOBJ + BUILD of its state). */
export function pyObject(module: string, name: string, state: SaveValue): SaveObject {
  return { kind: 'object', module, name, state };
}

/**
 * An omegaconf `DictConfig` as AudioCraft pickles `xp.cfg`: the container, its metadata
 * dataclass (naming `typing.Any` and `builtins.dict`) and one `AnyValueNode` per plain value.
 */
export function omegaconfDict(values: ReadonlyMap<string, SaveValue>): SaveObject {
  const any: SaveValue = { kind: 'global', module: 'typing', name: 'Any' };
  const metadata = (extra: Map<string, SaveValue>) =>
    pyObject('omegaconf.base', 'ContainerMetadata', new Map<string, SaveValue>([['ref_type', any], ['object_type', { kind: 'global', module: 'builtins', name: 'dict' }], ['optional', true], ['key', null], ['flags', new Map()], ['flags_root', false], ...extra]));
  const content = new Map<string, SaveValue>();
  for (const [key, value] of values) {
    content.set(
      key,
      value instanceof Map
        ? omegaconfDict(value as ReadonlyMap<string, SaveValue>)
        : pyObject('omegaconf.nodes', 'AnyValueNode', new Map<string, SaveValue>([['_metadata', metadata(new Map([['key', key]]))], ['_parent', null], ['_val', value], ['_flags_cache', null]])),
    );
  }
  return pyObject('omegaconf.dictconfig', 'DictConfig', new Map<string, SaveValue>([['_metadata', metadata(new Map())], ['_parent', null], ['_content', content], ['_flags_cache', null]]));
}

/** A state dict as `module.state_dict()` returns it: an OrderedDict with `_metadata`. */
export function stateDict(sd: StateDict, dtype: WriterDtype = 'float32'): SaveOrderedDict {
  const entries = new Map<string, SaveValue>();
  for (const [key, t] of sd) entries.set(key, tensor(t.shape, t.data, t.dtype ?? dtype));
  return orderedDict(entries, new Map([['', new Map([['version', 1]])]]));
}

// ---- state-dict transforms -----------------------------------------------------------------

const isConvWeight = (key: string, t: StateTensor): boolean => key.endsWith('.weight') && t.shape.length >= 2;

type WeightFilter = (key: string, t: StateTensor) => boolean;

/**
 * Copies `sd`, replacing each selected `<conv>.weight` by the entries `replace` derives from it
 * (keys relative to `<conv>.`), with the weight's channel count and per-channel size at hand.
 */
function replaceConvWeights(
  sd: StateDict,
  filter: WeightFilter,
  replace: (t: StateTensor, channels: number, per: number) => Array<[string, StateTensor]>,
): Map<string, StateTensor> {
  const out = new Map<string, StateTensor>();
  for (const [key, t] of sd) {
    if (!filter(key, t)) {
      out.set(key, t);
      continue;
    }
    const base = key.slice(0, -'.weight'.length);
    const channels = t.shape[0]!;
    for (const [suffix, value] of replace(t, channels, t.data.length / channels)) out.set(`${base}.${suffix}`, value);
  }
  return out;
}

/**
 * Replaces conv weights `<conv>.weight` by weight-norm parameters that fold back to the same
 * weight: `v` is the weight scaled by 1, 2 or 3 per output channel (so a loader that skips
 * the normalisation gets it wrong) and `g` its per-channel norm, shaped `[out, 1, ...]`.
 * `api: 'parametrizations'` writes torch >= 2.1's `parametrizations.weight.original0/1`.
 */
export function weightNormKeys(
  sd: StateDict,
  options: { api?: 'legacy' | 'parametrizations'; filter?: WeightFilter } = {},
): Map<string, StateTensor> {
  const [gName, vName] = options.api === 'parametrizations' ? ['parametrizations.weight.original0', 'parametrizations.weight.original1'] : ['weight_g', 'weight_v'];
  return replaceConvWeights(sd, options.filter ?? isConvWeight, (t, channels, per) => {
    const g = new Float32Array(channels);
    const v = new Float32Array(t.data.length);
    for (let o = 0; o < channels; o++) {
      let sum = 0;
      for (let j = o * per; j < (o + 1) * per; j++) sum += t.data[j]! * t.data[j]!;
      g[o] = Math.sqrt(sum);
      const scale = 1 + (o % 3);
      for (let j = o * per; j < (o + 1) * per; j++) v[j] = t.data[j]! * scale;
    }
    const extra = t.dtype ? { dtype: t.dtype } : {};
    return [
      [gName, { shape: [channels, ...t.shape.slice(1).map(() => 1)], data: g, ...extra }],
      [vName, { shape: t.shape, data: v, ...extra }],
    ];
  });
}

/**
 * Replaces the selected conv weights by legacy spectral-norm state (`weight_orig`, `weight_u`,
 * `weight_v`) whose eval-mode weight `weight_orig / (u . W_mat v)` is the original weight.
 */
export function spectralNormKeys(sd: StateDict, filter: WeightFilter = isConvWeight): Map<string, StateTensor> {
  return replaceConvWeights(sd, filter, (t, channels, per) => {
    const sigma = 2.5;
    const orig = t.data.map((x) => x * sigma);
    const v = new Float32Array(per).map((_, j) => Math.cos(j + 1));
    // u = sigma * y / |y|^2 with y = W_orig v, so that u . (W_orig v) = sigma exactly in real numbers.
    const y = new Float64Array(channels);
    for (let o = 0; o < channels; o++) for (let j = 0; j < per; j++) y[o]! += orig[o * per + j]! * v[j]!;
    const yy = y.reduce((a, b) => a + b * b, 0);
    const u = Float32Array.from(y, (x) => (sigma * x) / yy);
    return [
      ['weight_orig', { shape: t.shape, data: orig }],
      ['weight_u', { shape: [channels], data: u }],
      ['weight_v', { shape: [per], data: v }],
    ];
  });
}

/** Prefixes every key, e.g. `module.` as DistributedDataParallel does. */
export function withPrefix(sd: StateDict, prefix: string): Map<string, StateTensor> {
  return new Map([...sd].map(([key, t]) => [prefix + key, t]));
}

/**
 * AdamW optimizer state as `optimizer.state_dict()` saves it (torch >= 1.12: 0-dim float
 * `step` tensors), one entry per parameter of `sd`, fp32.
 */
export function adamWState(sd: StateDict, options: { step?: number; lr?: number } = {}): Map<string, SaveValue> {
  const step = options.step ?? 1000;
  const lr = options.lr ?? 1e-4;
  const state = new Map<number, SaveValue>();
  let index = 0;
  for (const t of sd.values()) {
    const avg = t.data.map((x) => 0.1 * x);
    const sq = t.data.map((x) => 0.01 * x * x);
    state.set(
      index++,
      new Map<string, SaveValue>([
        ['step', tensor([], Float32Array.of(step))],
        ['exp_avg', tensor(t.shape, avg)],
        ['exp_avg_sq', tensor(t.shape, sq)],
      ]),
    );
  }
  const group = new Map<string, SaveValue>([
    ['lr', pyFloat(lr)],
    ['betas', tuple(pyFloat(0.8), pyFloat(0.99))],
    ['eps', pyFloat(1e-9)],
    ['weight_decay', pyFloat(0.01)],
    ['amsgrad', false],
    ['foreach', null],
    ['maximize', false],
    ['capturable', false],
    ['differentiable', false],
    ['fused', null],
    ['initial_lr', pyFloat(lr)],
    ['params', Array.from({ length: index }, (_, i) => i)],
  ]);
  return new Map<string, SaveValue>([
    ['state', state],
    ['param_groups', [group]],
  ]);
}

// ---- file formats --------------------------------------------------------------------------

export interface TorchZipOptions {
  /** Top-level folder inside the archive (torch uses the file's base name). Default `archive`. */
  readonly folder?: string;
  /** Storage byte order; `big` writes a `byteorder` record saying so. Default `little`. */
  readonly byteorder?: 'little' | 'big';
  /** Write ZIP64 size/offset fields even though the file is small. */
  readonly zip64?: boolean;
}

/** `torch.save(value, f)` as pieces to concatenate or stream (tensor data is not copied). */
export function torchZipPieces(value: SaveValue, options: TorchZipOptions = {}): Uint8Array[] {
  const folder = options.folder ?? 'archive';
  const little = (options.byteorder ?? 'little') === 'little';
  const pickler = new Pickler('zip');
  pickler.value(value);
  const records: ZipRecord[] = [
    { name: `${folder}/data.pkl`, data: [pickler.finish()] },
    { name: `${folder}/byteorder`, data: [new TextEncoder().encode(little ? 'little' : 'big')] },
    ...pickler.storages.map((s, i) => ({ name: `${folder}/data/${i}`, data: [encodeFloats(s.data, s.dtype, little)] })),
    { name: `${folder}/version`, data: [new TextEncoder().encode('3\n')] },
  ];
  return zipStored(records, { zip64: options.zip64 ?? false });
}

export function torchZip(value: SaveValue, options: TorchZipOptions = {}): Uint8Array {
  return concat(torchZipPieces(value, options));
}

/** `torch.save(value, f, _use_new_zipfile_serialization=False)` (little-endian). */
export function torchLegacy(value: SaveValue): Uint8Array {
  const header = (write: (p: Pickler) => void): Uint8Array => {
    const p = new Pickler('legacy');
    write(p);
    return p.finish();
  };
  const magic = header((p) => p.long(0x1950a86a20f9469cfc6cn));
  const protocol = header((p) => p.int(1001));
  const sysInfo = header((p) =>
    p.value(
      new Map<string, SaveValue>([
        ['protocol_version', 1001],
        ['little_endian', true],
        ['type_sizes', new Map([['short', 2], ['int', 4], ['long', 4]])],
      ]),
    ),
  );
  const object = new Pickler('legacy');
  object.value(value);
  const objectBytes = object.finish();
  const keys = header((p) => p.value(object.storages.map((_, i) => String(i))));
  const pieces = [magic, protocol, sysInfo, objectBytes, keys];
  for (const s of object.storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(s.data.length), true);
    pieces.push(count, encodeFloats(s.data, s.dtype));
  }
  return concat(pieces);
}

/** `safetensors.torch.save_file(sd)`: header padded with spaces to 8 bytes, data in key order. */
export function safetensors(sd: StateDict, options: { dtype?: WriterDtype; metadata?: Record<string, string> } = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: options.metadata ?? { format: 'pt' } };
  const data: Uint8Array[] = [];
  let offset = 0;
  const names: Record<WriterDtype, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64' };
  for (const [key, t] of sd) {
    const dtype = t.dtype ?? options.dtype ?? 'float32';
    const bytes = encodeFloats(t.data, dtype);
    header[key] = { dtype: names[dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    data.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return concat([head, ...data]);
}

export function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes bytes, or pieces one after another (large checkpoints are never concatenated). */
export async function writeCheckpointFile(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const piece of data instanceof Uint8Array ? [data] : data) {
      let done = 0;
      while (done < piece.length) done += (await handle.write(piece, done, piece.length - done)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

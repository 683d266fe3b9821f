/**
 * Lazy tensor references. Unpickling only records where a tensor's bytes are; nothing is read
 * or decoded until a discriminator tensor is materialised, so generator weights and optimizer
 * state cost a few objects each, never their data. Every view is validated against its
 * storage before any allocation.
 */
import { CheckpointError } from '../errors.js';
import type { Float32Tensor } from '../model/types.js';
import { canAlias, decodeInto, decodeToFloat32, ELEMENT_SIZE, isDecodableFloat, type DType } from './dtypes.js';
import { LIMITS } from './limits.js';
import type { ByteSource } from './source.js';

/** One storage record of the file (a zip record, a legacy storage, a safetensors range). */
export interface RootStorage {
  readonly key: string;
  readonly dtype: DType;
  /** Elements the file declares; already checked to fit in the bytes the file has for it. */
  readonly numel: number;
  readonly littleEndian: boolean;
  /** Absolute offset of element 0 (lazy: zip local headers are read only for storages used). */
  locate(): Promise<number>;
}

/** A storage as a persistent id names it: a whole root, or (legacy) an element range of one. */
export class StorageView {
  readonly kind = 'storage';
  constructor(
    readonly root: RootStorage,
    readonly offset: number,
    readonly numel: number,
  ) {}
}

export class TensorRef {
  readonly kind = 'tensor';
  constructor(
    readonly storage: StorageView,
    /** Element offset into the storage view. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly numel: number,
    /** Elements between the first and one past the last element the view touches. */
    readonly span: number,
  ) {}
  get dtype(): DType {
    return this.storage.root.dtype;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The checks `_rebuild_tensor_v2` (Tensor.set_) makes, done before anything is allocated:
 * integer sizes and strides, and a view that stays inside its storage.
 */
export function makeTensorRef(storage: StorageView, offset: unknown, shape: unknown[], stride: unknown[]): TensorRef {
  if (!isCount(offset)) throw new CheckpointError(`tensor storage offset ${String(offset)} is not a non-negative integer`);
  if (shape.length !== stride.length) {
    throw new CheckpointError(`tensor has ${shape.length} sizes but ${stride.length} strides`);
  }
  if (shape.length > LIMITS.maxTensorRank) throw new CheckpointError(`tensor has ${shape.length} dimensions; at most ${LIMITS.maxTensorRank} are supported`);
  let numel = 1;
  let last = 0;
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i];
    const step = stride[i];
    if (!isCount(size) || !isCount(step)) {
      throw new CheckpointError(`tensor size/stride ${String(size)}/${String(step)} is not a non-negative integer`);
    }
    numel *= size;
    last += size === 0 ? 0 : (size - 1) * step;
    if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(last)) throw new CheckpointError('tensor size overflows');
  }
  const span = numel === 0 ? 0 : last + 1;
  if (numel > 0 && offset + span > storage.numel) {
    throw new CheckpointError(
      `tensor of shape [${shape.join(', ')}] at offset ${offset} needs ${offset + span} elements but its storage "${storage.root.key}" holds ${storage.numel}`,
    );
  }
  // A stride-0 view could present far more elements than the file holds; state dicts never
  // contain one, so refuse rather than let a tiny file allocate gigabytes.
  if (numel > Math.max(storage.numel, 1)) {
    throw new CheckpointError(
      `tensor of shape [${shape.join(', ')}] has more elements (${numel}) than its storage "${storage.root.key}" (${storage.numel}); broadcast views are not supported`,
    );
  }
  return new TensorRef(storage, offset, shape as number[], stride as number[], numel, span);
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i]! !== 1 && stride[i]! !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Work to do on each row (the elements sharing a first index) right after it is decoded, while
 * it is still in cache: weight norm normalises rows this way instead of in a second pass over
 * a 190 MB tensor.
 */
export type RowHook = (data: Float32Array, row: number, start: number, end: number) => void;

/** Reads and decodes one tensor to float32 in C order. `name` is the key, for messages. */
export async function materialise(source: ByteSource, ref: TensorRef, name: string, onRow?: RowHook): Promise<Float32Tensor> {
  const { root } = ref.storage;
  if (!isDecodableFloat(root.dtype)) {
    throw new CheckpointError(`"${name}" is stored as ${root.dtype}; discriminator weights must be floating point`);
  }
  if (ref.numel === 0) return { shape: ref.shape, data: new Float32Array(0) };
  const size = ELEMENT_SIZE[root.dtype];
  const first = ref.storage.offset + ref.offset;
  const base = await root.locate();
  const bytes = await source.read(base + first * size, ref.span * size, `tensor "${name}"`);
  const rows = ref.shape.length === 0 ? 1 : ref.shape[0]!;
  const rowLength = ref.numel / rows;
  if (ref.span === ref.numel && isContiguous(ref.shape, ref.stride)) {
    if (!onRow) return { shape: ref.shape, data: decodeToFloat32(bytes, root.dtype, root.littleEndian, ref.numel, true) };
    const alias = canAlias(bytes, root.dtype, root.littleEndian);
    const data = alias ? new Float32Array(bytes.buffer, bytes.byteOffset, ref.numel) : new Float32Array(ref.numel);
    for (let r = 0, at = 0; r < rows; r++, at += rowLength) {
      if (!alias) decodeInto(bytes.subarray(at * size, (at + rowLength) * size), root.dtype, root.littleEndian, data, at, rowLength);
      onRow(data, r, at, at + rowLength);
    }
    return { shape: ref.shape, data };
  }
  const values = decodeToFloat32(bytes, root.dtype, root.littleEndian, ref.span, true);
  const data = gather(values, ref.shape, ref.stride, ref.numel);
  if (onRow) for (let r = 0, at = 0; r < rows; r++, at += rowLength) onRow(data, r, at, at + rowLength);
  return { shape: ref.shape, data };
}

/** Copies a strided view into C order. */
function gather(values: Float32Array, shape: readonly number[], stride: readonly number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let n = 0; n < numel; n++) {
    out[n] = values[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      src += stride[d]!;
      if (index[d]! < shape[d]!) break;
      src -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The allowlist of Python globals a checkpoint may name, and what calling each one means.
 * Pickle's REDUCE would normally call any importable function with attacker-chosen arguments
 * (`os.system`, `builtins.eval`, ...). Here a global is only ever a name: the few a state dict
 * needs have small TypeScript implementations, and every other name stops the load at the
 * GLOBAL opcode, before anything could have been called.
 */
import { CheckpointError } from '../errors.js';
import { TORCH_STORAGE_DTYPES, type DType } from './dtypes.js';
import { makeTensorRef, StorageView, TensorRef } from './tensor.js';
import { PyDict, PyGlobal, PyObject, PyTuple, typeName, type PyValue } from './values.js';

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';
const PARAMETER = 'torch.nn.parameter.Parameter';

const CALLABLE = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, PARAMETER]);

/**
 * Classes whose instances are plain configuration data in real training checkpoints and that
 * are kept as inert PyObjects (never constructed, never called): AudioCraft pickles its
 * omegaconf `DictConfig` as `xp.cfg` beside the weights, and omegaconf's metadata names
 * `typing.Any` and builtin types. Module prefixes end in a dot.
 */
const INERT_MODULES = ['omegaconf.'] as const;
const INERT_NAMES = new Set([
  'typing.Any',
  'builtins.dict',
  'builtins.list',
  'builtins.tuple',
  'builtins.str',
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'builtins.object',
]);

export function isInert(qualified: string): boolean {
  return INERT_NAMES.has(qualified) || INERT_MODULES.some((prefix) => qualified.startsWith(prefix));
}

/** The refusal every unknown global gets. Worded for users who may not know pickle. */
export function refuseGlobal(qualified: string): CheckpointError {
  return new CheckpointError(
    `checkpoint refers to ${JSON.stringify(qualified)}, which a state dict never needs; refusing to load it (nothing in the file was executed)`,
  );
}

/** Resolves a GLOBAL / STACK_GLOBAL name, or refuses it. */
export function lookupGlobal(module: string, name: string): PyGlobal {
  const qualified = `${module}.${name}`;
  if (CALLABLE.has(qualified) || isInert(qualified)) return new PyGlobal(module, name);
  if (module === 'torch' && Object.hasOwn(TORCH_STORAGE_DTYPES, name)) return new PyGlobal(module, name);
  throw refuseGlobal(qualified);
}

/** The dtype of a `torch.<X>Storage` global, or undefined for anything else. */
export function storageDtype(value: PyValue): DType | undefined {
  if (!(value instanceof PyGlobal) || value.module !== 'torch') return undefined;
  return Object.hasOwn(TORCH_STORAGE_DTYPES, value.name) ? TORCH_STORAGE_DTYPES[value.name] : undefined;
}

function expectArgs(fn: string, args: PyTuple, min: number, max: number): readonly PyValue[] {
  if (args.items.length < min || args.items.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    throw new CheckpointError(`${fn} called with ${args.items.length} arguments, expected ${wanted}`);
  }
  return args.items;
}

function expectTensor(fn: string, value: PyValue | undefined): TensorRef {
  if (value instanceof TensorRef) return value;
  throw new CheckpointError(`${fn} expects a tensor, got ${typeName(value)}`);
}

function tupleItems(fn: string, what: string, value: PyValue | undefined): readonly PyValue[] {
  if (value instanceof PyTuple) return value.items;
  throw new CheckpointError(`${fn}: ${what} must be a tuple, got ${typeName(value)}`);
}

/** REDUCE: `fn(*args)` for an allowlisted callable, implemented here. */
export function callGlobal(fn: PyValue, args: PyValue): PyValue {
  if (!(fn instanceof PyGlobal)) throw new CheckpointError(`REDUCE needs a global callable, got ${typeName(fn)}`);
  if (!(args instanceof PyTuple)) throw new CheckpointError(`REDUCE needs an argument tuple, got ${typeName(args)}`);
  const name = fn.qualified;
  if (isInert(name)) return new PyObject(name, args);
  switch (name) {
    case ORDERED_DICT: {
      expectArgs(name, args, 0, 0);
      return new PyDict(true);
    }
    case REBUILD_TENSOR: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = expectArgs(name, args, 6, 7);
      if (!(storage instanceof StorageView)) throw new CheckpointError(`${name} expects a storage, got ${typeName(storage)}`);
      return makeTensorRef(storage, offset, [...tupleItems(name, 'size', size)], [...tupleItems(name, 'stride', stride)]);
    }
    case REBUILD_PARAMETER:
      return expectTensor(name, expectArgs(name, args, 3, 3)[0]);
    case REBUILD_PARAMETER_WITH_STATE:
      return expectTensor(name, expectArgs(name, args, 4, 4)[0]);
    case PARAMETER:
      return expectTensor(name, expectArgs(name, args, 1, 2)[0]);
    default:
      throw new CheckpointError(`"${name}" is not callable`);
  }
}

/** NEWOBJ: `cls.__new__(cls, *args)`; only OrderedDict is ever built this way. */
export function newObject(cls: PyValue, args: PyValue): PyValue {
  if (cls instanceof PyGlobal && cls.qualified === ORDERED_DICT && args instanceof PyTuple && args.items.length === 0) {
    return new PyDict(true);
  }
  if (cls instanceof PyGlobal && isInert(cls.qualified)) return new PyObject(cls.qualified, args);
  throw new CheckpointError(`cannot create an object of ${typeName(cls)} with NEWOBJ`);
}

/**
 * The Python values a safe unpickler can produce. Only plain data and the few torch objects a
 * state dict needs exist here: there is no representation for an arbitrary Python object, so
 * nothing foreign can survive unpickling.
 */
import type { StorageView, TensorRef } from './tensor.js';

/** A pickled tuple (JS arrays stand for lists). */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A dict or collections.OrderedDict; `attrs` keeps BUILD state (OrderedDict `_metadata`). */
export class PyDict {
  readonly map = new Map<PyKey, PyValue>();
  attrs: PyValue | undefined = undefined;
  constructor(readonly ordered: boolean) {}
}

/** A reference to an allowlisted global (callable or class). Never an arbitrary one. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An instance of an inert class (globals.ts INERT: omegaconf configs and the typing/builtins
 * names their metadata refers to) as pure data: the class name, the constructor arguments and
 * the BUILD state, recorded and never run. Lets a loader skip (or read a plain value out of)
 * training configs pickled beside the weights.
 */
export class PyObject {
  readonly kind = 'object';
  state: PyValue | undefined = undefined;
  constructor(
    readonly cls: string,
    readonly args: PyValue,
  ) {}
}

export type PyKey = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyGlobal;

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyValue[]
  | PyDict
  | PyGlobal
  | StorageView
  | TensorRef
  | PyObject;

/** Python-ish type name for error messages. */
export function typeName(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyTuple) return 'tuple';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyDict) return value.ordered ? 'OrderedDict' : 'dict';
  if (value instanceof PyGlobal) return value.qualified;
  if (value instanceof PyObject) return `${value.cls} object`;
  return value.kind;
}

export function isKey(value: PyValue): value is PyKey {
  if (Array.isArray(value) || value instanceof PyDict) return false;
  return !(typeof value === 'object' && value !== null && 'kind' in value);
}

/**
 * A hand-written, deliberately small unpickler for PyTorch checkpoints.
 *
 * Why not a library: JavaScript pickle readers either execute nothing and do not understand
 * torch's persistent ids, or emulate Python objects generously enough to be unsafe. This one
 * knows exactly the opcodes torch.save (pickle protocol 2) emits for state dicts and optimizer
 * state, plus the handful of protocol 3/4 ones a re-saved file may carry (BINBYTES, FRAME,
 * MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE). Globals go through the allowlist in globals.ts,
 * so nothing named by the file is ever run. Every read is bounds-checked and memo, MARK depth
 * and input size are capped: a damaged file ends in a CheckpointError, never a hang, a
 * RangeError or unbounded memory.
 */
import { CheckpointError } from '../errors.js';
import { callGlobal, lookupGlobal, newObject } from './globals.js';
import { LIMITS } from './limits.js';
import { TensorRef } from './tensor.js';
import { isKey, PyDict, PyObject, PyTuple, typeName, type PyValue } from './values.js';

export interface UnpickleOptions {
  /** Names the pickle in messages, e.g. "data.pkl". */
  readonly what: string;
  /** BINPERSID: turns a persistent id into a storage (the container format decides how). */
  persistentLoad(pid: PyValue): PyValue;
}

/** Raised when the pickle runs past the bytes given: a caller holding only a prefix may retry. */
export class PickleTruncatedError extends CheckpointError {}

export interface UnpickleResult {
  readonly value: PyValue;
  /** Offset just past STOP (legacy files hold several pickles back to back). */
  readonly end: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Opcodes, as their byte values. */
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINSTRING: 0x54, // T
  SHORT_BINSTRING: 0x55, // U
  BINUNICODE: 0x58, // X
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  EMPTY_LIST: 0x5d, // ]
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Little-endian two's-complement integer of LONG1; a number when it is exactly representable. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

class Unpickler {
  private pos: number;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string, at = this.pos): never {
    throw new CheckpointError(`${this.options.what} is not a valid checkpoint pickle: ${message} (at byte ${at})`);
  }

  private truncated(message: string): never {
    throw new PickleTruncatedError(`${this.options.what} is not a valid checkpoint pickle: truncated: ${message} (at byte ${this.pos})`);
  }

  private need(n: number): number {
    if (this.pos + n > this.bytes.length) this.truncated(`${n} more bytes needed, ${this.bytes.length - this.pos} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)]!;
  }
  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  private take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  private text(n: number, decoder: typeof utf8): string {
    const raw = this.take(n);
    try {
      return decoder.decode(raw);
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }
  private line(): string {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0 && this.bytes.length - start <= LIMITS.maxGlobalLine) this.truncated('unterminated GLOBAL name');
    if (end < 0 || end - start > LIMITS.maxGlobalLine) this.fail('overlong GLOBAL name');
    this.pos = end + 1;
    return this.text0(start, end);
  }
  private text0(start: number, end: number): string {
    const name = latin1.decode(this.bytes.subarray(start, end));
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) this.fail(`GLOBAL name ${JSON.stringify(name)} is not a Python identifier`, start);
    return name;
  }

  /** Runs an allowlisted call; its complaints get this pickle's name and position. */
  private located(at: number, call: () => PyValue): PyValue {
    try {
      return call();
    } catch (error) {
      if (error instanceof CheckpointError) this.fail(error.message, at);
      throw error;
    }
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow (the file is damaged)', this.pos - 1);
    return this.stack.pop()!;
  }
  private top(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow (the file is damaged)', this.pos - 1);
    return this.stack[this.stack.length - 1]!;
  }
  private popMark(): PyValue[] {
    const items = this.stack;
    const outer = this.marks.pop();
    if (!outer) this.fail('MARK expected', this.pos - 1);
    this.stack = outer;
    return items;
  }
  private put(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= LIMITS.maxMemoEntries) this.fail('too many memo entries');
    this.memo.set(index, this.top());
  }
  private get(index: number): void {
    const value = this.memo.get(index);
    if (value === undefined) this.fail(`memo entry ${index} was never stored`, this.pos - 1);
    this.stack.push(value);
  }

  private setItems(dict: PyValue, items: PyValue[]): void {
    if (!(dict instanceof PyDict)) this.fail(`SETITEM on a ${typeName(dict)}`);
    if (items.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (!isKey(key)) this.fail(`unhashable dict key of type ${typeName(key)}`);
      dict.map.set(key, items[i + 1]!);
    }
  }
  private append(list: PyValue, items: PyValue[]): void {
    if (!Array.isArray(list)) this.fail(`APPEND on a ${typeName(list)}`);
    for (const item of items) list.push(item);
  }

  run(): UnpickleResult {
    const { bytes } = this;
    for (;;) {
      const at = this.pos;
      if (at >= bytes.length) this.truncated('no STOP opcode');
      const op = bytes[this.pos++]!;
      switch (op) {
        case OP.PROTO: {
          const proto = this.u8();
          if (proto > 5) this.fail(`unsupported pickle protocol ${proto}`, at);
          break;
        }
        case OP.FRAME:
          this.need(8); // protocol 4 framing: only a length hint for buffered readers
          break;
        case OP.STOP:
          if (this.marks.length > 0) this.fail('STOP inside an open MARK', at);
          return { value: this.pop(), end: this.pos };
        case OP.MARK:
          if (this.marks.length >= LIMITS.maxMarkDepth) this.fail('containers nested too deeply', at);
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case OP.NONE:
          this.stack.push(null);
          break;
        case OP.NEWTRUE:
          this.stack.push(true);
          break;
        case OP.NEWFALSE:
          this.stack.push(false);
          break;
        case OP.BININT:
          this.stack.push(this.view.getInt32(this.need(4), true));
          break;
        case OP.BININT1:
          this.stack.push(this.u8());
          break;
        case OP.BININT2:
          this.stack.push(this.u16());
          break;
        case OP.LONG1:
          this.stack.push(decodeLong(this.take(this.u8())));
          break;
        case OP.BINFLOAT:
          this.stack.push(this.view.getFloat64(this.need(8), false));
          break;
        case OP.BINUNICODE:
          this.stack.push(this.text(this.u32(), utf8));
          break;
        case OP.SHORT_BINUNICODE:
          this.stack.push(this.text(this.u8(), utf8));
          break;
        case OP.BINSTRING: {
          const n = this.view.getInt32(this.need(4), true);
          if (n < 0) this.fail('negative BINSTRING length', at);
          this.stack.push(this.text(n, latin1));
          break;
        }
        case OP.SHORT_BINSTRING:
          this.stack.push(this.text(this.u8(), latin1));
          break;
        case OP.BINBYTES:
          this.stack.push(this.take(this.u32()).slice());
          break;
        case OP.SHORT_BINBYTES:
          this.stack.push(this.take(this.u8()).slice());
          break;
        case OP.EMPTY_TUPLE:
          this.stack.push(new PyTuple([]));
          break;
        case OP.TUPLE: {
          // popMark swaps this.stack, so take the items before touching the stack.
          const items = this.popMark();
          this.stack.push(new PyTuple(items));
          break;
        }
        case OP.TUPLE1: {
          const a = this.pop();
          this.stack.push(new PyTuple([a]));
          break;
        }
        case OP.TUPLE2: {
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b]));
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b, c]));
          break;
        }
        case OP.EMPTY_LIST:
          this.stack.push([]);
          break;
        case OP.EMPTY_DICT:
          this.stack.push(new PyDict(false));
          break;
        case OP.APPEND: {
          const item = this.pop();
          this.append(this.top(), [item]);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case OP.BINPUT:
          this.put(this.u8());
          break;
        case OP.LONG_BINPUT:
          this.put(this.u32());
          break;
        case OP.MEMOIZE:
          this.put(this.memo.size);
          break;
        case OP.BINGET:
          this.get(this.u8());
          break;
        case OP.LONG_BINGET:
          this.get(this.u32());
          break;
        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.stack.push(lookupGlobal(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings', at);
          this.stack.push(lookupGlobal(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const fn = this.pop();
          this.stack.push(this.located(at, () => callGlobal(fn, args)));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          this.stack.push(this.located(at, () => newObject(cls, args)));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          const target = this.top();
          // OrderedDict state dicts carry `_metadata` this way; tensors may carry a __dict__.
          // Both are kept as inert data and never interpreted as code.
          if (target instanceof PyDict) target.attrs = state;
          else if (target instanceof PyObject) target.state = state;
          else if (!(target instanceof TensorRef)) this.fail(`BUILD on a ${typeName(target)}`, at);
          break;
        }
        case OP.BINPERSID: {
          const pid = this.pop();
          this.stack.push(this.options.persistentLoad(pid));
          break;
        }
        default:
          this.fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`, at);
      }
    }
  }
}

/** Unpickles one pickle starting at `start` in `bytes`. */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): UnpickleResult {
  if (bytes.length - start > LIMITS.maxPickleBytes) {
    throw new CheckpointError(`${options.what} is ${bytes.length - start} bytes, more than a checkpoint pickle can be`);
  }
  return new Unpickler(bytes, start, options).run();
}

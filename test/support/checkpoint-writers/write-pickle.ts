/**
 * A protocol-2 pickler for the values torch.save writes in state dicts and training
 * checkpoints, emitting the same opcodes CPython's pickler does for them (dicts via
 * EMPTY_DICT + SETITEMS, OrderedDict via REDUCE + BUILD of `_metadata`, tensors via
 * `torch._utils._rebuild_tensor_v2` with a BINPERSID storage reference). For fixtures only.
 */
import type { FloatDType } from './encode.js';

/** A storage: the values of one `torch.<X>Storage`, shared by every tensor viewing it. */
export interface SaveStorage {
  readonly kind: 'storage';
  readonly data: Float32Array;
  readonly dtype: FloatDType;
}

/** A tensor: a view of a storage (contiguous unless built with {@link view}). */
export interface SaveTensor {
  readonly kind: 'tensor';
  readonly storage: SaveStorage;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/** A Python float even when integral (JS numbers that are integers are pickled as ints). */
export interface SaveFloat {
  readonly kind: 'float';
  readonly value: number;
}

export interface SaveTuple {
  readonly kind: 'tuple';
  readonly items: readonly SaveValue[];
}

/** collections.OrderedDict, with torch's `_metadata` attribute when `metadata` is given. */
export interface SaveOrderedDict {
  readonly kind: 'ordered';
  readonly entries: ReadonlyMap<string | number, SaveValue>;
  readonly metadata?: SaveValue;
}

/** Any other global, for tests that must prove such files are refused (`os.system`, ...). */
export interface SaveCall {
  readonly kind: 'call';
  readonly module: string;
  readonly name: string;
  readonly args: readonly SaveValue[];
}

/**
 * An instance pickled the way `object.__reduce_ex__(2)` does it: `cls.__new__(cls)` (GLOBAL,
 * EMPTY_TUPLE, NEWOBJ) then BUILD with its `__getstate__()`; omegaconf's DictConfig, its nodes
 * and metadata dataclasses are written so.
 */
export interface SaveObject {
  readonly kind: 'object';
  readonly module: string;
  readonly name: string;
  readonly state: SaveValue;
}

/** A bare reference to a class or object by name (GLOBAL alone): `typing.Any`, `builtins.dict`. */
export interface SaveGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

export type SaveValue =
  | null
  | boolean
  | number
  | string
  | readonly SaveValue[]
  | ReadonlyMap<string | number, SaveValue>
  | SaveStorage
  | SaveTensor
  | SaveFloat
  | SaveTuple
  | SaveOrderedDict
  | SaveCall
  | SaveObject
  | SaveGlobal;

const STORAGE_CLASS: Readonly<Record<FloatDType, string>> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  float64: 'DoubleStorage',
};

/** How BINPERSID storage references look: torch zip (5-tuple) or legacy (6-tuple). */
export type PersistentIdStyle = 'zip' | 'legacy';

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private current = new Uint8Array(4096);
  private used = 0;
  byte(b: number): void {
    if (this.used === this.current.length) this.flush();
    this.current[this.used++] = b;
  }
  bytes(data: Uint8Array): void {
    for (const b of data) this.byte(b);
  }
  u16(x: number): void {
    this.byte(x & 0xff);
    this.byte(x >>> 8);
  }
  u32(x: number): void {
    for (let i = 0; i < 4; i++) this.byte((x >>> (8 * i)) & 0xff);
  }
  private flush(): void {
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = new Uint8Array(Math.max(4096, this.current.length * 2));
    this.used = 0;
  }
  finish(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const encoder = new TextEncoder();

export class Pickler {
  private readonly out = new ByteWriter();
  private readonly memo = new Map<string, number>();
  /** Storages in first-use order; their keys are their indices, as torch numbers them. */
  readonly storages: SaveStorage[] = [];
  private readonly storageKeys = new Map<SaveStorage, string>();

  constructor(private readonly style: PersistentIdStyle) {
    this.out.byte(0x80); // PROTO 2
    this.out.byte(2);
  }

  finish(): Uint8Array {
    this.out.byte(0x2e); // STOP
    return this.out.finish();
  }

  private memoize(key: string): void {
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) {
      this.out.byte(0x71); // BINPUT
      this.out.byte(index);
    } else {
      this.out.byte(0x72); // LONG_BINPUT
      this.out.u32(index);
    }
  }

  global(module: string, name: string): void {
    const key = `global:${module}.${name}`;
    const index = this.memo.get(key);
    if (index !== undefined) {
      if (index < 256) {
        this.out.byte(0x68); // BINGET
        this.out.byte(index);
      } else {
        this.out.byte(0x6a); // LONG_BINGET
        this.out.u32(index);
      }
      return;
    }
    this.out.byte(0x63); // GLOBAL
    this.out.bytes(encoder.encode(`${module}\n${name}\n`));
    this.memoize(key);
  }

  int(x: number): void {
    if (x >= 0 && x < 256) {
      this.out.byte(0x4b); // BININT1
      this.out.byte(x);
    } else if (x >= 0 && x < 65536) {
      this.out.byte(0x4d); // BININT2
      this.out.u16(x);
    } else if (x >= -(2 ** 31) && x < 2 ** 31) {
      this.out.byte(0x4a); // BININT
      this.out.u32(x >>> 0);
    } else {
      this.long(BigInt(x));
    }
  }

  long(x: bigint): void {
    const bytes: number[] = [];
    let v = x;
    // Minimal two's-complement little-endian, as pickle's encode_long.
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      const top = bytes[bytes.length - 1]! & 0x80;
      if ((v === 0n && !top) || (v === -1n && top)) break;
    }
    this.out.byte(0x8a); // LONG1
    this.out.byte(bytes.length);
    for (const b of bytes) this.out.byte(b);
  }

  float(x: number): void {
    this.out.byte(0x47); // BINFLOAT, big-endian
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    this.out.bytes(b);
  }

  string(s: string): void {
    const b = encoder.encode(s);
    this.out.byte(0x58); // BINUNICODE
    this.out.u32(b.length);
    this.out.bytes(b);
  }

  private tuple(items: readonly SaveValue[]): void {
    if (items.length === 0) {
      this.out.byte(0x29); // EMPTY_TUPLE
      return;
    }
    if (items.length > 3) this.out.byte(0x28); // MARK
    for (const item of items) this.value(item);
    this.out.byte(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE / TUPLE1..3
  }

  private setItems(entries: Iterable<[string | number, SaveValue]>): void {
    let open = 0;
    for (const [key, value] of entries) {
      if (open === 0) this.out.byte(0x28); // MARK
      this.value(key);
      this.value(value);
      if (++open === 1000) {
        this.out.byte(0x75); // SETITEMS
        open = 0;
      }
    }
    if (open > 0) this.out.byte(0x75);
  }

  private storageKey(storage: SaveStorage): string {
    let key = this.storageKeys.get(storage);
    if (key === undefined) {
      key = String(this.storages.length);
      this.storages.push(storage);
      this.storageKeys.set(storage, key);
    }
    return key;
  }

  private tensor(t: SaveTensor): void {
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.out.byte(0x28); // MARK
    // The storage reference: ('storage', torch.XStorage, key, 'cpu', numel[, view_metadata]).
    this.out.byte(0x28);
    this.string('storage');
    this.global('torch', STORAGE_CLASS[t.storage.dtype]);
    this.string(this.storageKey(t.storage));
    this.string('cpu');
    this.int(t.storage.data.length);
    if (this.style === 'legacy') this.out.byte(0x4e); // NONE: no view metadata
    this.out.byte(0x74); // TUPLE
    this.out.byte(0x51); // BINPERSID
    this.int(t.offset);
    this.tuple(t.shape);
    this.tuple(t.stride);
    this.out.byte(0x89); // NEWFALSE: requires_grad
    this.orderedDict({ kind: 'ordered', entries: new Map() }); // backward hooks
    this.out.byte(0x74); // TUPLE
    this.out.byte(0x52); // REDUCE
  }

  private orderedDict(d: SaveOrderedDict): void {
    this.global('collections', 'OrderedDict');
    this.out.byte(0x29); // EMPTY_TUPLE
    this.out.byte(0x52); // REDUCE
    this.setItems(d.entries);
    if (d.metadata !== undefined) {
      // OrderedDict.__reduce__ state: {'_metadata': ...}, applied by BUILD after the items.
      this.value(new Map([['_metadata', d.metadata]]));
      this.out.byte(0x62); // BUILD
    }
  }

  value(v: SaveValue): void {
    if (v === null) this.out.byte(0x4e);
    else if (v === true) this.out.byte(0x88);
    else if (v === false) this.out.byte(0x89);
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) this.int(v);
      else this.float(v);
    } else if (typeof v === 'string') this.string(v);
    else if (Array.isArray(v)) {
      this.out.byte(0x5d); // EMPTY_LIST
      if (v.length > 0) {
        this.out.byte(0x28);
        for (const item of v as readonly SaveValue[]) this.value(item);
        this.out.byte(0x65); // APPENDS
      }
    } else if (v instanceof Map) {
      this.out.byte(0x7d); // EMPTY_DICT
      this.setItems(v as ReadonlyMap<string | number, SaveValue>);
    } else {
      const o = v as Exclude<SaveValue, null | boolean | number | string | readonly SaveValue[] | ReadonlyMap<string | number, SaveValue>>;
      switch (o.kind) {
        case 'float':
          this.float(o.value);
          break;
        case 'tuple':
          this.tuple(o.items);
          break;
        case 'ordered':
          this.orderedDict(o);
          break;
        case 'tensor':
          this.tensor(o);
          break;
        case 'storage':
          throw new Error('a bare storage cannot be pickled; wrap it in a tensor');
        case 'call':
          this.global(o.module, o.name);
          this.tuple(o.args);
          this.out.byte(0x52); // REDUCE
          break;
        case 'global':
          this.global(o.module, o.name);
          break;
        case 'object':
          this.global(o.module, o.name);
          this.out.byte(0x29); // EMPTY_TUPLE
          this.out.byte(0x81); // NEWOBJ
          this.value(o.state);
          this.out.byte(0x62); // BUILD
          break;
      }
    }
  }
}

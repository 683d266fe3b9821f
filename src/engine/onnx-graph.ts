/**
 * A small builder for ONNX models: nodes, initializers and typed inputs/outputs, serialised
 * with the field numbers of onnx.proto (see ../shared/reference/formats-and-runtime.md).
 * It knows ONNX, nothing about discriminators.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values we use. */
export const ElemType = { FLOAT: 1, INT64: 7 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'graph'; readonly value: Subgraph | EncodedGraph };

export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attribute => ({ kind: 'ints', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
  graph: (value: Subgraph | EncodedGraph): Attribute => ({ kind: 'graph', value }),
};

/** A dimension is a fixed size or a symbolic name (dynamic). */
export type Dim = number | string;

interface NodeRecord {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attribute>>;
}

interface TensorRecord {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

/**
 * A model whose large initializers live in a data file beside it (ONNX external data): `data`
 * is that file's content, as chunks to write one after another.
 */
export interface ExternalModel {
  readonly model: Uint8Array;
  readonly data: readonly Uint8Array[];
}

// Initializers at least this large go to the data file; each starts on a page boundary there,
// so that onnxruntime can map it instead of copying it.
const EXTERNAL_MIN_BYTES = 1024;
const EXTERNAL_ALIGN = 4096;

interface ValueRecord {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly Dim[];
}

/**
 * What one graph level holds: its nodes, initializers and declared shapes, and the caches of
 * values that only its own nodes may use (a value made inside one subgraph is not visible in
 * another).
 */
interface Scope {
  readonly nodes: NodeRecord[];
  readonly initializers: TensorRecord[];
  readonly shapes: ValueRecord[];
  readonly constantCache: Map<string, string>;
  readonly floatNames: Set<string>;
}

function emptyScope(): Scope {
  return { nodes: [], initializers: [], shapes: [], constantCache: new Map(), floatNames: new Set() };
}

/** A graph attribute's value (If's branches): a graph level of its own whose nodes may read the enclosing graphs' values. */
export interface Subgraph {
  readonly name: string;
  readonly scope: Scope;
  readonly outputs: readonly ValueRecord[];
}

/** A branch serialized elsewhere (a GraphProto's bytes), e.g. a graph onnxruntime optimized. */
export interface EncodedGraph {
  readonly encoded: Uint8Array;
}

/** A subgraph's result: a value of the subgraph and its declared type. */
export interface SubgraphOutput {
  readonly value: string;
  readonly type: ElemType;
  readonly dims: readonly Dim[];
}

/** How one initializer is written: inline, or as a reference into the external data file. */
type TensorEncoder = (t: TensorRecord) => ProtoWriter;

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, graph: 5, ints: 7 } as const;

function rawBytes(view: ArrayBufferView): Uint8Array {
  // ONNX raw_data is little-endian, as are all platforms onnxruntime-node ships for.
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export class OnnxGraph {
  private readonly inputs: ValueRecord[] = [];
  private readonly outputs: ValueRecord[] = [];
  private readonly main = emptyScope();
  /** Where new nodes, initializers and shapes go: the main graph, or the subgraph being built. */
  private scope = this.main;
  // One counter for the whole model: names stay unique across graph levels.
  private counter = 0;
  private readonly opsets: { readonly domain: string; readonly version: number }[] = [];

  /**
   * `namePrefix` starts every name the builder makes up: a graph whose branches were built by
   * another builder (with its own `Concat_4`) then cannot shadow their values.
   */
  constructor(
    private readonly name: string,
    private readonly namePrefix = '',
  ) {}

  /** A new value name: the prefix, `hint` and a number. */
  fresh(hint: string): string {
    this.counter += 1;
    return `${this.namePrefix}${hint}_${this.counter}`;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /** Adds a float32 initializer; the data is referenced, not copied, until serialisation. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    if (this.scope.floatNames.has(name)) throw new Error(`internal: initializer "${name}" added twice`);
    this.scope.floatNames.add(name);
    this.scope.initializers.push({ name, type: ElemType.FLOAT, dims, raw: rawBytes(data) });
    return name;
  }

  /**
   * The float32 initializer `name`, added with `data()` the first time it is asked for: a
   * layer whose weights two branches share reads (or computes) them once.
   */
  sharedFloatTensor(name: string, dims: readonly number[], data: () => Float32Array): string {
    return this.scope.floatNames.has(name) ? name : this.floatTensor(name, dims, data());
  }

  /** A small int64 constant, shared between nodes that use the same values. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const cached = this.scope.constantCache.get(key);
    if (cached) return cached;
    const name = this.fresh('const_i64');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.scope.initializers.push({ name, type: ElemType.INT64, dims, raw: rawBytes(data) });
    this.scope.constantCache.set(key, name);
    return name;
  }

  /** A small float32 constant (scalar by default), shared like int64(). */
  float32(values: readonly number[], dims: readonly number[] = []): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const cached = this.scope.constantCache.get(key);
    if (cached) return cached;
    const name = this.fresh('const_f32');
    this.floatTensor(name, dims, Float32Array.from(values));
    this.scope.constantCache.set(key, name);
    return name;
  }

  /** Adds a node with `outputCount` outputs and returns their names. */
  nodeN(op: string, inputs: readonly string[], outputCount: number, attrs: Record<string, Attribute> = {}, hint = op): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(hint));
    this.scope.nodes.push({ op, inputs, outputs, attrs });
    return outputs;
  }

  /** The value `make()` returns, made once per `key`: nodes that compute the same small tensor share it. */
  shared(key: string, make: () => string): string {
    const cacheKey = `value:${key}`;
    let name = this.scope.constantCache.get(cacheKey);
    if (name === undefined) {
      name = make();
      this.scope.constantCache.set(cacheKey, name);
    }
    return name;
  }

  /** Adds a single-output node and returns the output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attribute> = {}, hint = op): string {
    return this.nodeN(op, inputs, 1, attrs, hint)[0]!;
  }

  /**
   * Declares a value's type and shape (ONNX value_info). Symbolic dimensions of the same name
   * are equal: this is how onnxruntime learns that two tensors from different branches have
   * one shape, which its shape inference cannot prove through dynamic sizes.
   */
  shape(value: string, type: ElemType, dims: readonly Dim[]): string {
    this.scope.shapes.push({ name: value, type, dims });
    return value;
  }

  /** Declares `value` to have the shape declared for `like`. */
  shapeLike(value: string, like: string): string {
    const known = this.scope.shapes.find((v) => v.name === like);
    if (!known) throw new Error(`internal: no shape declared for "${like}"`);
    return this.shape(value, known.type, known.dims);
  }

  /** Renames a value into a graph output by an Identity node. */
  exportAs(value: string, name: string, type: ElemType, dims: readonly Dim[]): void {
    this.scope.nodes.push({ op: 'Identity', inputs: [value], outputs: [name], attrs: {} });
    this.output(name, type, dims);
  }

  /**
   * A subgraph for a control-flow attribute (If's branches): every node, initializer, constant
   * and declared shape made while `build` runs belongs to it; its nodes may read values of the
   * enclosing graphs, and `build` returns its outputs. Weights a subgraph's convolutions use
   * should be made inside it: onnxruntime's layout optimizations only rewrite a node whose
   * weights are initializers of its own graph level.
   */
  subgraph(name: string, build: () => readonly SubgraphOutput[]): Subgraph {
    const enclosing = this.scope;
    const scope = emptyScope();
    this.scope = scope;
    try {
      const outputs = build().map((o) => {
        // Graph outputs need names of their own (a value may also be used inside).
        const renamed = this.fresh(`${name}_out`);
        scope.nodes.push({ op: 'Identity', inputs: [o.value], outputs: [renamed], attrs: {} });
        return { name: renamed, type: o.type, dims: o.dims };
      });
      return { name, scope, outputs };
    } finally {
      this.scope = enclosing;
    }
  }

  /** The model as one buffer, initializers inline. */
  serialize(opsetVersion: number, producer = 'tts-critic'): Uint8Array {
    return this.encode(opsetVersion, producer, encodeTensor);
  }

  /**
   * The model with its large initializers in `dataFile` (a path relative to the model file):
   * onnxruntime then reads the weights from that file, and no buffer holds a second copy of
   * them (the chunks are the weights' own bytes, plus zero padding).
   */
  serializeExternal(opsetVersion: number, dataFile: string, producer = 'tts-critic'): ExternalModel {
    const data: Uint8Array[] = [];
    let offset = 0;
    const model = this.encode(opsetVersion, producer, (t) => {
      if (t.raw.byteLength < EXTERNAL_MIN_BYTES) return encodeTensor(t);
      const padding = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
      if (padding > 0) data.push(new Uint8Array(padding));
      offset += padding;
      data.push(t.raw);
      const tensor = encodeExternalTensor(t, dataFile, offset);
      offset += t.raw.byteLength;
      return tensor;
    });
    return { model, data };
  }

  private encode(opsetVersion: number, producer: string, tensor: TensorEncoder): Uint8Array {
    const graph = encodeGraph(this.name, this.main, this.inputs, this.outputs, tensor);
    const versions = new Map<string, number>([['', opsetVersion]]);
    for (const { domain, version } of this.opsets) versions.set(domain, Math.max(version, versions.get(domain) ?? 0));
    const model = new ProtoWriter()
      .varint(1, 8) // ir_version 8 (ONNX 1.10+), enough for opset 17
      .string(2, producer)
      .message(7, graph);
    for (const [domain, version] of versions) model.message(8, new ProtoWriter().string(1, domain).varint(2, version));
    return model.finish();
  }

  /** Declares operator sets beyond the default domain's (those of encoded branches' nodes). */
  importOpsets(opsets: readonly { readonly domain: string; readonly version: number }[]): void {
    this.opsets.push(...opsets);
  }
}

/** GraphProto: the main graph (with inputs) or a subgraph (outputs only). */
function encodeGraph(name: string, scope: Scope, inputs: readonly ValueRecord[], outputs: readonly ValueRecord[], tensor: TensorEncoder): ProtoWriter {
  const graph = new ProtoWriter();
  for (const n of scope.nodes) graph.message(1, encodeNode(n, tensor));
  graph.string(2, name);
  for (const t of scope.initializers) graph.message(5, tensor(t));
  for (const v of inputs) graph.message(11, encodeValueInfo(v));
  for (const v of outputs) graph.message(12, encodeValueInfo(v));
  for (const v of scope.shapes) graph.message(13, encodeValueInfo(v));
  return graph;
}

function encodeNode(n: NodeRecord, tensor: TensorEncoder): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.outputs[0]!);
  w.string(4, n.op);
  for (const [name, a] of Object.entries(n.attrs)) w.message(5, encodeAttribute(name, a, tensor));
  return w;
}

function encodeAttribute(name: string, a: Attribute, tensor: TensorEncoder): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      return w.float(2, a.value).varint(20, ATTR_TYPE.float);
    case 'int':
      return w.varint(3, a.value).varint(20, ATTR_TYPE.int);
    case 'string':
      return w.string(4, a.value).varint(20, ATTR_TYPE.string);
    case 'ints':
      return w.varints(8, a.value).varint(20, ATTR_TYPE.ints);
    case 'graph': {
      const graph = a.value;
      if ('encoded' in graph) return w.bytes(6, graph.encoded).varint(20, ATTR_TYPE.graph);
      return w.message(6, encodeGraph(graph.name, graph.scope, [], graph.outputs, tensor)).varint(20, ATTR_TYPE.graph);
    }
  }
}

function encodeTensor(t: TensorRecord): ProtoWriter {
  return new ProtoWriter().varints(1, t.dims).varint(2, t.type).string(8, t.name).bytes(9, t.raw);
}

// TensorProto.external_data (StringStringEntryProto: key 1, value 2) and data_location.
const EXTERNAL_DATA = 13;
const DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;

function encodeExternalTensor(t: TensorRecord, file: string, offset: number): ProtoWriter {
  const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
  return new ProtoWriter()
    .varints(1, t.dims)
    .varint(2, t.type)
    .string(8, t.name)
    .message(EXTERNAL_DATA, entry('location', file))
    .message(EXTERNAL_DATA, entry('offset', String(offset)))
    .message(EXTERNAL_DATA, entry('length', String(t.raw.byteLength)))
    .varint(DATA_LOCATION, DATA_LOCATION_EXTERNAL);
}

function encodeValueInfo(v: ValueRecord): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().varint(1, v.type).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

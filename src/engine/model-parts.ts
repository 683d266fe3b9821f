/**
 * Optimized models as branches of one larger model. The session cache (session.ts) has
 * onnxruntime optimize each sub-discriminator as a model of its own and saves each with its
 * weights in a data file of its own; this turns such a saved model into a graph for an If's
 * branch: its inputs dropped (a branch reads the enclosing graph's values of the same names)
 * and its external weights moved to the combined data file, at the offset its data file was
 * appended at. The files are read piecewise (protobuf-reader.ts); the weights are never read.
 */
import { ProtoWriter } from './protobuf.js';
import { isMessage, readFields, withFileSource, type ByteSource, type FieldRange } from './protobuf-reader.js';

// onnx.proto field numbers.
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;

const textDecoder = new TextDecoder();

/** An operator set a model imports. */
export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export interface Branch {
  /** The GraphProto's bytes. */
  readonly graph: Uint8Array;
  /** The operator sets its nodes use (onnxruntime's layout ops come from domains of their own). */
  readonly opsets: readonly OpsetImport[];
}

export interface Relocation {
  /** The data file the model's external weights are in now (relative to the model). */
  readonly from: string;
  /** The data file they will be in, and where in it this model's file starts. */
  readonly to: string;
  readonly offset: number;
}

function text(source: ByteSource, f: FieldRange | undefined): string {
  return f ? textDecoder.decode(source.bytes(f.payloadStart, f.end)) : '';
}

/** The graph of the model file `modelFile` as an If branch, its weights relocated. Throws on weights in any other file. */
export function branchOfModel(modelFile: string, relocation: Relocation): Branch {
  return withFileSource(modelFile, (source) => {
    const opsets: OpsetImport[] = [];
    let graph: Uint8Array | null = null;
    for (const f of readFields(source)) {
      if (isMessage(f, MODEL_GRAPH)) graph = branchGraph(source, f, relocation);
      else if (isMessage(f, MODEL_OPSET_IMPORT)) {
        const fields = readFields(source, f.payloadStart, f.end);
        opsets.push({ domain: text(source, fields.find((o) => isMessage(o, OPSET_DOMAIN))), version: fields.find((o) => o.field === OPSET_VERSION)?.value ?? 1 });
      }
    }
    if (!graph) throw new Error(`${modelFile}: no graph`);
    return { graph, opsets };
  });
}

function branchGraph(source: ByteSource, graph: FieldRange, relocation: Relocation): Uint8Array {
  const out = new ProtoWriter();
  for (const f of readFields(source, graph.payloadStart, graph.end)) {
    if (isMessage(f, GRAPH_INPUT)) continue;
    if (isMessage(f, GRAPH_INITIALIZER)) out.message(GRAPH_INITIALIZER, relocated(source, f, relocation));
    else out.raw(source.bytes(f.start, f.end));
  }
  return out.finish();
}

/** A TensorProto with its external data (if any) moved by `relocation`. */
function relocated(source: ByteSource, tensor: FieldRange, relocation: Relocation): ProtoWriter {
  const fields = readFields(source, tensor.payloadStart, tensor.end);
  const out = new ProtoWriter();
  const external = fields.filter((f) => isMessage(f, TENSOR_EXTERNAL_DATA));
  for (const f of fields) if (!isMessage(f, TENSOR_EXTERNAL_DATA)) out.raw(source.bytes(f.start, f.end));
  if (external.length === 0) return out;
  const entries = new Map(
    external.map((e) => {
      const kv = readFields(source, e.payloadStart, e.end);
      return [text(source, kv.find((x) => isMessage(x, ENTRY_KEY))), text(source, kv.find((x) => isMessage(x, ENTRY_VALUE)))] as const;
    }),
  );
  if (entries.get('location') !== relocation.from) throw new Error(`an initializer reads "${entries.get('location')}", not "${relocation.from}"`);
  entries.set('location', relocation.to);
  entries.set('offset', String(Number(entries.get('offset') ?? 0) + relocation.offset));
  for (const [key, value] of entries) out.message(TENSOR_EXTERNAL_DATA, new ProtoWriter().string(ENTRY_KEY, key).string(ENTRY_VALUE, value));
  return out;
}

/**
 * Repairs the optimized model onnxruntime writes for the session cache (session.ts).
 *
 * Saving with its initializers as external data (`session.optimized_model_external_initializers_file_name`),
 * onnxruntime (1.23 to 1.30 at least) writes every initializer of a subgraph twice under one
 * name: the external reference and a stale copy (inline, or pointing at the data file of the
 * graph it optimized). It then refuses to load its own file ("initializer name is not unique";
 * microsoft/onnxruntime pull request 32474, open), and the inline copies hold the weights a
 * second time (sovits5's graph file: 97 MB instead of 150 KB).
 *
 * The repair keeps one initializer per name and graph level, the one in the entry's data file
 * where there is one, and refuses a model that would still read any other file, so that a
 * cache entry is always self-contained. It reads the file piecewise and never the copies it
 * drops: a cold start's peak memory stays where the optimization put it.
 */
import { writeFileSync } from 'node:fs';
import { ProtoWriter } from './protobuf.js';
import { isMessage, readFields, withFileSource, type ByteSource, type FieldRange } from './protobuf-reader.js';

// onnx.proto field numbers.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const textDecoder = new TextDecoder();

export interface RepairResult {
  /** The repaired model; null when nothing needed repair. */
  readonly model: Uint8Array | null;
  /** Initializers dropped as duplicates, over all graph levels. */
  readonly dropped: number;
}

interface Context {
  readonly source: ByteSource;
  readonly dataFile: string;
  dropped: number;
}

/**
 * The model in `source` (a serialized ModelProto whose external data belongs in `dataFile`, a
 * path relative to the model) with one initializer per name in every graph level. Throws when
 * an initializer it keeps reads another file, and on malformed data.
 */
export function dropDuplicateInitializers(source: ByteSource, dataFile: string): RepairResult {
  const context: Context = { source, dataFile, dropped: 0 };
  const out = new ProtoWriter();
  for (const f of readFields(source)) {
    if (isMessage(f, MODEL_GRAPH)) out.message(MODEL_GRAPH, repairGraph(f, context));
    else out.raw(source.bytes(f.start, f.end));
  }
  return { model: context.dropped > 0 ? out.finish() : null, dropped: context.dropped };
}

/** Repairs the model file `file` in place (see dropDuplicateInitializers); returns the count dropped. */
export function repairModelFile(file: string, dataFile: string): number {
  const { model, dropped } = withFileSource(file, (source) => dropDuplicateInitializers(source, dataFile));
  if (model) writeFileSync(file, model);
  return dropped;
}

function payloadOf(f: FieldRange, context: Context): FieldRange[] {
  return readFields(context.source, f.payloadStart, f.end);
}

function text(f: FieldRange | undefined, context: Context): string {
  return f ? textDecoder.decode(context.source.bytes(f.payloadStart, f.end)) : '';
}

function repairGraph(graph: FieldRange, context: Context): ProtoWriter {
  const fields = payloadOf(graph, context);
  const keep = new Set(chosenInitializers(fields.filter((f) => isMessage(f, GRAPH_INITIALIZER)), context));
  const out = new ProtoWriter();
  for (const f of fields) {
    if (isMessage(f, GRAPH_INITIALIZER)) {
      if (keep.has(f)) out.raw(context.source.bytes(f.start, f.end));
      else context.dropped += 1;
    } else if (isMessage(f, GRAPH_NODE)) {
      out.message(GRAPH_NODE, repairNode(f, context));
    } else {
      out.raw(context.source.bytes(f.start, f.end));
    }
  }
  return out;
}

/** An initializer's name and, when its data is external, the file it reads (raw data is never read). */
function describeTensor(tensor: FieldRange, context: Context): { name: string; file: string | null } {
  const fields = payloadOf(tensor, context);
  const name = text(fields.find((t) => isMessage(t, TENSOR_NAME)), context);
  if (!fields.some((t) => t.field === TENSOR_DATA_LOCATION && t.value === DATA_LOCATION_EXTERNAL)) return { name, file: null };
  for (const entry of fields.filter((t) => isMessage(t, TENSOR_EXTERNAL_DATA))) {
    const kv = payloadOf(entry, context);
    if (text(kv.find((e) => isMessage(e, ENTRY_KEY)), context) === 'location') return { name, file: text(kv.find((e) => isMessage(e, ENTRY_VALUE)), context) };
  }
  return { name, file: '' };
}

/** Per name, the copy in the entry's data file if there is one, else the first. */
function chosenInitializers(initializers: readonly FieldRange[], context: Context): FieldRange[] {
  const chosen = new Map<string, { field: FieldRange; file: string | null }>();
  for (const field of initializers) {
    const { name, file } = describeTensor(field, context);
    const held = chosen.get(name);
    if (!held || (file === context.dataFile && held.file !== context.dataFile)) chosen.set(name, { field, file });
  }
  for (const [name, { file }] of chosen) {
    if (file !== null && file !== context.dataFile) throw new Error(`optimized model: initializer "${name}" reads "${file}", not "${context.dataFile}"`);
  }
  return [...chosen.values()].map((c) => c.field);
}

/** A node with the graphs of its attributes (If's branches, Loop's body) repaired. */
function repairNode(node: FieldRange, context: Context): ProtoWriter {
  const out = new ProtoWriter();
  for (const f of payloadOf(node, context)) {
    if (!isMessage(f, NODE_ATTRIBUTE)) {
      out.raw(context.source.bytes(f.start, f.end));
      continue;
    }
    const attribute = new ProtoWriter();
    for (const a of payloadOf(f, context)) {
      if (isMessage(a, ATTRIBUTE_GRAPH) || isMessage(a, ATTRIBUTE_GRAPHS)) attribute.message(a.field, repairGraph(a, context));
      else attribute.raw(context.source.bytes(a.start, a.end));
    }
    out.message(NODE_ATTRIBUTE, attribute);
  }
  return out;
}

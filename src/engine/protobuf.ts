/**
 * A minimal protocol-buffers *encoder*: just what writing an ONNX ModelProto needs (varints,
 * length-delimited fields, fixed32 floats). Hand-written because the only JS options are
 * generated code pulling in protobufjs for a few dozen lines of encoding, and because
 * we need zero-copy embedding of large weight buffers: a message is a list of chunks, and
 * raw tensor bytes are referenced, not copied, until the single final concatenation.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

function varintBytes(value: number | bigint): Uint8Array {
  // Tags, lengths, dims and most attributes: plain numbers, no BigInt work (a graph has
  // tens of thousands of them).
  if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff && Number.isInteger(value)) {
    const bytes: number[] = [];
    let n = value;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return Uint8Array.from(bytes);
  }
  // Negative int64 values are encoded as their 64-bit two's complement (10 bytes).
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  get byteLength(): number {
    return this.size;
  }

  private push(chunk: Uint8Array): this {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    return this;
  }

  private tag(field: number, wireType: number): this {
    return this.push(varintBytes((field << 3) | wireType));
  }

  varint(field: number, value: number | bigint): this {
    return this.tag(field, WIRE_VARINT).push(varintBytes(value));
  }

  /** Repeated varint field, unpacked (every protobuf parser accepts the unpacked form). */
  varints(field: number, values: readonly (number | bigint)[]): this {
    for (const v of values) this.varint(field, v);
    return this;
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.tag(field, WIRE_FIXED32).push(b);
  }

  bytes(field: number, data: Uint8Array): this {
    return this.tag(field, WIRE_LENGTH_DELIMITED).push(varintBytes(data.byteLength)).push(data);
  }

  string(field: number, text: string): this {
    return this.bytes(field, textEncoder.encode(text));
  }

  /** A field encoded elsewhere (tag included), copied as it is. */
  raw(encoded: Uint8Array): this {
    return this.push(encoded);
  }

  message(field: number, nested: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).push(varintBytes(nested.byteLength));
    for (const chunk of nested.chunks) this.push(chunk);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

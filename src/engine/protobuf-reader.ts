/**
 * A minimal protocol-buffers *reader*: the fields of one message as byte ranges of a source,
 * payloads read only when asked for. A message can then be rewritten by copying the fields it
 * keeps and re-encoding the ones it changes, without ever reading the ones it drops: the
 * optimized models onnxruntime writes (optimized-model.ts) can hold a hundred megabytes of
 * weights that are to be dropped. Like the writer, hand-written: the JS options are generated
 * code over protobufjs, which parses whole buffers.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Random access to the bytes of an encoded message. */
export interface ByteSource {
  readonly length: number;
  /** Bytes [start, end); throws past the end. */
  bytes(start: number, end: number): Uint8Array;
}

export function bufferSource(buffer: Uint8Array): ByteSource {
  return {
    length: buffer.byteLength,
    bytes: (start, end) => {
      if (start < 0 || end > buffer.byteLength || start > end) throw new Error('malformed protobuf: field runs past the end');
      return buffer.subarray(start, end);
    },
  };
}

/** `use(source)` over a file read piecewise (positioned reads); the file is closed afterwards. */
export function withFileSource<T>(file: string, use: (source: ByteSource) => T): T {
  const fd = openSync(file, 'r');
  try {
    const length = fstatSync(fd).size;
    return use({
      length,
      bytes: (start, end) => {
        if (start < 0 || end > length || start > end) throw new Error('malformed protobuf: field runs past the end');
        const out = Buffer.allocUnsafe(end - start);
        let done = 0;
        while (done < out.length) {
          const n = readSync(fd, out, done, out.length - done, start + done);
          if (n === 0) throw new Error('file shrank while being read');
          done += n;
        }
        return out;
      },
    });
  } finally {
    closeSync(fd);
  }
}

/** One field: where it lies in the source and, for varints, its value. */
export interface FieldRange {
  readonly field: number;
  readonly wireType: number;
  /** The field from its tag to its end: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Where a length-delimited field's content starts (it ends at `end`). */
  readonly payloadStart: number;
  /** A varint field's value (exact up to 2^53); 0 for other wire types. */
  readonly value: number;
}

export function isMessage(f: FieldRange, field: number): boolean {
  return f.field === field && f.wireType === WIRE_LENGTH_DELIMITED;
}

// A varint is at most 10 bytes.
const VARINT_MAX = 10;

/** Reads a varint at `offset`; returns its value and the offset after it. */
function readVarint(source: ByteSource, offset: number, end: number): [number, number] {
  const window = source.bytes(offset, Math.min(end, offset + VARINT_MAX));
  let value = 0;
  let scale = 1;
  for (let i = 0; i < window.length; i++) {
    const byte = window[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  throw new Error('malformed protobuf: truncated or overlong varint');
}

/** The fields of the message in [start, end) of `source`, in order. Throws on malformed data and group wire types. */
export function readFields(source: ByteSource, start = 0, end = source.length): FieldRange[] {
  const fields: FieldRange[] = [];
  let offset = start;
  while (offset < end) {
    const fieldStart = offset;
    const [tag, afterTag] = readVarint(source, offset, end);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let payloadStart = afterTag;
    let value = 0;
    switch (wireType) {
      case WIRE_VARINT:
        [value, offset] = readVarint(source, afterTag, end);
        break;
      case WIRE_FIXED64:
        offset = afterTag + 8;
        break;
      case WIRE_FIXED32:
        offset = afterTag + 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const [length, afterLength] = readVarint(source, afterTag, end);
        payloadStart = afterLength;
        offset = afterLength + length;
        break;
      }
      default:
        throw new Error(`malformed protobuf: unsupported wire type ${wireType} at byte ${fieldStart}`);
    }
    if (field === 0 || offset > end) throw new Error(`malformed protobuf: bad field at byte ${fieldStart}`);
    fields.push({ field, wireType, start: fieldStart, end: offset, payloadStart, value });
  }
  return fields;
}

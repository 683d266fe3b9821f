import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProtoWriter } from '../../src/engine/protobuf.js';
import { bufferSource, isMessage, readFields, withFileSource } from '../../src/engine/protobuf-reader.js';

describe('protobuf reader', () => {
  test('reads back what the writer wrote: varints (large and negative int64), fixed32, nested messages', () => {
    const inner = new ProtoWriter().string(1, 'name').varint(2, 2 ** 40);
    const bytes = new ProtoWriter().varint(1, 300).varint(2, -1).float(3, 1.5).message(4, inner).finish();
    const source = bufferSource(bytes);
    const fields = readFields(source);
    expect(fields.map((f) => [f.field, f.wireType])).toEqual([[1, 0], [2, 0], [3, 5], [4, 2]]);
    expect(fields[0]!.value).toBe(300);
    expect(fields[2]!.end - fields[2]!.start).toBe(5);
    const nested = readFields(source, fields[3]!.payloadStart, fields[3]!.end);
    expect(isMessage(nested[0]!, 1)).toBe(true);
    expect(Buffer.from(source.bytes(nested[0]!.payloadStart, nested[0]!.end)).toString()).toBe('name');
    expect(nested[1]!.value).toBe(2 ** 40);
    // Every field's range re-encodes the message exactly.
    expect(Buffer.concat(fields.map((f) => source.bytes(f.start, f.end)))).toEqual(Buffer.from(bytes));
  });

  test.each([
    ['a length past the end', Uint8Array.from([0x0a, 0x05, 0x61])],
    ['a truncated varint', Uint8Array.from([0x08, 0x80])],
    ['a group wire type', Uint8Array.from([0x0b, 0x0c])],
    ['field number 0', Uint8Array.from([0x00, 0x01])],
  ])('refuses malformed data: %s', (_, bytes) => {
    expect(() => readFields(bufferSource(bytes))).toThrow(/malformed protobuf/);
  });

  test('a file source reads the same fields piecewise', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tts-critic-proto-'));
    try {
      const bytes = new ProtoWriter().string(1, 'a'.repeat(5000)).varint(2, 7).finish();
      writeFileSync(path.join(dir, 'm.pb'), bytes);
      const fields = withFileSource(path.join(dir, 'm.pb'), (source) => readFields(source).map((f) => [f.field, f.end - f.start, f.value]));
      expect(fields).toEqual(readFields(bufferSource(bytes)).map((f) => [f.field, f.end - f.start, f.value]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { existsSync, rmSync } from 'node:fs';
import { CheckpointError } from '../../src/errors.js';
import { PickleTruncatedError, unpickle } from '../../src/checkpoint/pickle.js';
import { StorageView, TensorRef, type RootStorage } from '../../src/checkpoint/tensor.js';
import { PyDict, PyGlobal, PyTuple, type PyValue } from '../../src/checkpoint/values.js';
import { bytes, str, u32le } from './helpers.js';

const noPid = (): PyValue => {
  throw new CheckpointError('no persistent ids here');
};
const load = (data: Uint8Array, persistentLoad: (pid: PyValue) => PyValue = noPid): PyValue =>
  unpickle(data, 0, { what: 'test.pkl', persistentLoad }).value;
const PROTO2 = [0x80, 2];

describe('pickle reader: values', () => {
  test('scalars: None, bools, ints of every width, LONG1, BINFLOAT', () => {
    const data = bytes(
      PROTO2,
      '(', // MARK
      'N',
      0x88,
      0x89,
      'J', u32le(-5 >>> 0),
      'K', 200,
      'M', 0x34, 0x12,
      0x8a, 3, 0x00, 0x80, 0x00, // LONG1 32768 (needs a sign byte)
      0x8a, 2, 0x00, 0x80, // LONG1 -32768
      0x8a, 1, 0xff, // LONG1 -1
      0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, // torch's legacy magic
      'G', 0x3f, 0x1a, 0x36, 0xe2, 0xeb, 0x1c, 0x43, 0x2d, // 0.0001, big-endian
      't', // TUPLE
      '.',
    );
    const value = load(data) as PyTuple;
    expect(value).toBeInstanceOf(PyTuple);
    expect(value.items).toEqual([null, true, false, -5, 200, 0x1234, 32768, -32768, -1, 0x1950a86a20f9469cfc6cn, 0.0001]);
  });

  test('strings and bytes: BINUNICODE (UTF-8), SHORT_BINUNICODE, BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES', () => {
    const data = bytes(
      PROTO2,
      '(',
      'X', u32le(3), 0x67, 0xc3, 0xbc, // "gü"
      0x8c, 2, 'ab',
      'T', u32le(3), 'cpu',
      'U', 4, 'cuda',
      'B', u32le(2), 1, 2,
      'C', 1, 9,
      't',
      '.',
    );
    const value = load(data) as PyTuple;
    expect(value.items.slice(0, 4)).toEqual(['gü', 'ab', 'cpu', 'cuda']);
    expect([...(value.items[4] as Uint8Array)]).toEqual([1, 2]);
    expect([...(value.items[5] as Uint8Array)]).toEqual([9]);
  });

  test('tuples, lists, dicts, memo (BINPUT/BINGET/LONG_BINPUT/LONG_BINGET/MEMOIZE)', () => {
    const data = bytes(
      PROTO2,
      '}', 'q', 0,
      '(',
      str('t0'), ')',
      str('t1'), 'K', 1, 0x85,
      str('t2'), 'K', 1, 'K', 2, 0x86,
      str('t3'), 'K', 1, 'K', 2, 'K', 3, 0x87,
      str('t4'), '(', 'K', 1, 'K', 2, 'K', 3, 'K', 4, 't',
      'u',
      str('list'), ']', 'r', u32le(70000), 'K', 5, 'a', '(', 'K', 6, 'K', 7, 'e',
      's',
      str('again'), 'j', u32le(70000), 's',
      str('memo'), str('x'), 0x94, 's', // MEMOIZE: slot len(memo) = 2
      str('memo2'), 'h', 2, 's',
      '.',
    );
    const dict = load(data) as PyDict;
    expect(dict).toBeInstanceOf(PyDict);
    expect(dict.ordered).toBe(false);
    const items = (key: string): PyValue[] => [...(dict.map.get(key) as PyTuple).items];
    expect(items('t0')).toEqual([]);
    expect(items('t1')).toEqual([1]);
    expect(items('t2')).toEqual([1, 2]);
    expect(items('t3')).toEqual([1, 2, 3]);
    expect(items('t4')).toEqual([1, 2, 3, 4]);
    expect(dict.map.get('list')).toEqual([5, 6, 7]);
    expect(dict.map.get('again')).toBe(dict.map.get('list'));
    expect(dict.map.get('memo')).toBe('x');
    expect(dict.map.get('memo2')).toBe('x');
    expect([...dict.map.keys()]).toEqual(['t0', 't1', 't2', 't3', 't4', 'list', 'again', 'memo', 'memo2']);
  });

  test('protocol 4: FRAME, SHORT_BINUNICODE, STACK_GLOBAL, NEWOBJ and BUILD on an OrderedDict', () => {
    const data = bytes(
      0x80, 4,
      0x95, 0, 0, 0, 0, 0, 0, 0, 0, // FRAME (length ignored)
      0x8c, 11, 'collections', 0x94,
      0x8c, 11, 'OrderedDict', 0x94,
      0x93, 0x94, // STACK_GLOBAL
      ')', 0x81, // NEWOBJ with ()
      '(', 0x8c, 1, 'a', 'K', 1, 'u',
      '}', '(', 0x8c, 9, '_metadata', '}', 'u', 'b', // BUILD {'_metadata': {}}
      '.',
    );
    const dict = load(data) as PyDict;
    expect(dict.ordered).toBe(true);
    expect(dict.map.get('a')).toBe(1);
    expect(dict.attrs).toBeInstanceOf(PyDict);
    expect((dict.attrs as PyDict).map.has('_metadata')).toBe(true);
  });

  test('REDUCE of torch._utils._rebuild_tensor_v2 on a persistent id gives a lazy tensor view', () => {
    const root: RootStorage = { key: '0', dtype: 'float32', numel: 12, littleEndian: true, locate: async () => 0 };
    const pids: PyValue[] = [];
    const data = bytes(
      PROTO2,
      'c', 'torch._utils\n_rebuild_tensor_v2\n',
      '(',
      '(', str('storage'), 'c', 'torch\nFloatStorage\n', str('0'), str('cpu'), 'K', 12, 't',
      'Q', // BINPERSID
      'K', 2, // offset
      'K', 3, 'K', 2, 0x86, // size (3, 2)
      'K', 1, 'K', 3, 0x86, // stride (1, 3): a transposed view
      0x89,
      'c', 'collections\nOrderedDict\n', ')', 'R',
      't',
      'R',
      '.',
    );
    const tensor = load(data, (pid) => {
      pids.push(pid);
      return new StorageView(root, 0, 12);
    }) as TensorRef;
    expect(tensor).toBeInstanceOf(TensorRef);
    expect(tensor.shape).toEqual([3, 2]);
    expect(tensor.stride).toEqual([1, 3]);
    expect(tensor.offset).toBe(2);
    expect(tensor.numel).toBe(6);
    expect(tensor.span).toBe(6); // (3-1)*1 + (2-1)*3 + 1
    const pid = pids[0] as PyTuple;
    expect(pid.items[0]).toBe('storage');
    expect(pid.items[1]).toEqual(new PyGlobal('torch', 'FloatStorage'));
  });

  test('a view that reaches past its storage is refused before anything is read', () => {
    const root: RootStorage = { key: '7', dtype: 'float32', numel: 4, littleEndian: true, locate: async () => 0 };
    const data = bytes(
      PROTO2,
      'c', 'torch._utils\n_rebuild_tensor_v2\n',
      '(', 'N', 'Q', 'K', 1, 'K', 4, 0x85, 'K', 1, 0x85, 0x89, '}', 't', 'R', '.',
    );
    expect(() => load(data, () => new StorageView(root, 0, 4))).toThrow(/needs 5 elements but its storage "7" holds 4/);
  });

  test('a list that contains itself is read without looping', () => {
    const data = bytes(PROTO2, ']', 'q', 0, 'h', 0, 'a', '.');
    const list = load(data) as PyValue[];
    expect(list[0]).toBe(list);
  });
});

describe('pickle reader: refusals', () => {
  const marker = '/tmp/tts-critic-pickle-test-marker';
  beforeEach(() => rmSync(marker, { force: true }));

  test.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'eval'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['torch._utils', '_rebuild_tensor'],
  ])('GLOBAL %s.%s is refused by name and nothing runs', (module, name) => {
    const data = bytes(PROTO2, 'c', `${module}\n${name}\n`, '(', str(`touch ${marker}`), 't', 'R', '.');
    let error: unknown;
    try {
      load(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(
      `checkpoint refers to "${module}.${name}", which a state dict never needs; refusing to load it (nothing in the file was executed)`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  test('STACK_GLOBAL builtins.exec is refused the same way', () => {
    const data = bytes(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'exec', 0x93, str('print(1)'), 0x85, 'R', '.');
    expect(() => load(data)).toThrow('checkpoint refers to "builtins.exec", which a state dict never needs');
  });

  test('an allowlisted storage class cannot be called', () => {
    const data = bytes(PROTO2, 'c', 'torch\nFloatStorage\n', ')', 'R', '.');
    expect(() => load(data)).toThrow(/"torch.FloatStorage" is not callable/);
  });

  test('REDUCE needs an argument tuple; OrderedDict takes no arguments', () => {
    expect(() => load(bytes(PROTO2, 'c', 'collections\nOrderedDict\n', ']', 'R', '.'))).toThrow(/argument tuple/);
    expect(() => load(bytes(PROTO2, 'c', 'collections\nOrderedDict\n', 'K', 1, 0x85, 'R', '.'))).toThrow(/1 arguments, expected 0/);
  });
});

describe('pickle reader: damaged input', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['unknown opcode (protocol 0 INT)', bytes(PROTO2, 'I', '1\n', '.'), /unsupported opcode 0x49 \(at byte 2\)/],
    ['no STOP', bytes(PROTO2, 'N'), /truncated: no STOP opcode/],
    ['string longer than the data', bytes(PROTO2, 'X', u32le(1000), 'ab'), /truncated: 1000 more bytes needed/],
    ['stack underflow', bytes(PROTO2, 0x86, '.'), /stack underflow/],
    ['memo entry never stored', bytes(PROTO2, 'h', 3, '.'), /memo entry 3 was never stored/],
    ['TUPLE without MARK', bytes(PROTO2, 'N', 't', '.'), /MARK expected/],
    ['invalid UTF-8', bytes(PROTO2, 'X', u32le(2), 0xc3, 0x28, '.'), /not valid UTF-8/],
    ['SETITEM on a list', bytes(PROTO2, ']', 'K', 1, 'K', 2, 's', '.'), /SETITEM on a list/],
    ['unhashable key', bytes(PROTO2, '}', ']', 'K', 2, 's', '.'), /unhashable dict key of type list/],
    ['APPEND on a dict', bytes(PROTO2, '}', 'K', 1, 'a', '.'), /APPEND on a dict/],
    ['STOP inside MARK', bytes(PROTO2, '(', 'N', '.'), /STOP inside an open MARK/],
    ['GLOBAL name with odd characters', bytes(PROTO2, 'c', 'os;rm\nx\n', '.'), /not a Python identifier/],
    ['deeply nested MARKs', bytes(PROTO2, new Array(5000).fill(0x28), '.'), /nested too deeply/],
    ['BUILD on an int', bytes(PROTO2, 'K', 1, '}', 'b', '.'), /BUILD on a int/],
    ['protocol 9', bytes(0x80, 9, 'N', '.'), /unsupported pickle protocol 9/],
  ];
  test.each(cases)('%s', (_, data, message) => {
    expect(() => load(data)).toThrow(CheckpointError);
    expect(() => load(data)).toThrow(message);
  });

  test('running out of bytes is a PickleTruncatedError (callers holding a prefix may read more)', () => {
    expect(() => load(bytes(PROTO2, 'X', u32le(10), 'abc'))).toThrow(PickleTruncatedError);
    expect(() => load(bytes(PROTO2, 'h', 3, '.'))).not.toThrow(PickleTruncatedError);
  });
});

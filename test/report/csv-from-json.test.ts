import { describe, expect, it } from '@jest/globals';
import { CsvFromJson } from '../../src/report/csv-from-json.js';
import { csvLine, parseCsv } from '../../src/report/csv.js';
import { ColumnCollector, rowFromJsonRecord } from '../../src/report/json.js';
import { isTextColumn, layerColumn, type CellValue, type Row } from '../../src/report/columns.js';

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ['', 'out/a.wav', '=1+2', "'=quoted", "''+x", '-5 dB', '@sum', 'a,b', 'say "hi", then', 'two\nlines', 'cr\rhere', 'tab\there', 'é日本語', '😀 emoji', 'back\\slash', '\ud800 lone', 'x/y', ' lead space'];
const TEXT_KEYS = ['ref', 'syn', 'status', 'error', 'warning', 'family'];
const NUMBER_KEYS = ['fm', 'gen', 'sample_rate', 'fm_p2', 'métrique', 'a"b', 'tab\tkey', '12'];
const SUBS = ['s', 'p2', 'r1024', 'sub"q'];

type Value = string | number | null | Record<string, (number | null)[]>;

/** Records of every shape `checkJsonRecord` lets through: keys in any order, text and numbers of every kind, `fm_layers` anywhere or nowhere. */
function records(count: number, seed: number): Record<string, Value>[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const number = (): number | null => {
    const r = random();
    if (r < 0.1) return null;
    if (r < 0.2) return Math.floor(random() * 1e6) - 5e5;
    if (r < 0.3) return (random() - 0.5) * 1e-9;
    if (r < 0.4) return random() * 1e25;
    if (r < 0.45) return 0;
    return random();
  };
  const out: Record<string, Value>[] = [];
  for (let n = 0; n < count; n++) {
    const entries: [string, Value][] = [];
    for (const key of TEXT_KEYS) if (random() < 0.8) entries.push([key, random() < 0.1 ? null : pick(TEXTS)]);
    for (const key of NUMBER_KEYS) if (random() < 0.7) entries.push([key, number()]);
    const r = random();
    if (r < 0.2) entries.push(['fm_layers', null]);
    else if (r < 0.9) {
      const layers: Record<string, (number | null)[]> = {};
      for (const sub of SUBS) if (random() < 0.7) layers[sub] = Array.from({ length: Math.floor(random() * 5) }, number);
      entries.push(['fm_layers', layers]);
    }
    // Shuffled: fm_layers first, in the middle or last.
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    out.push(Object.fromEntries(entries));
  }
  return out;
}

/** JSON text of a record, compact or with whitespace between every token. */
function text(record: Record<string, Value>, spaced: boolean): string {
  return spaced ? JSON.stringify(record, null, '\t ').replace(/:/g, ' : ').replace(/\n/g, '\r\n') : JSON.stringify(record);
}

/** What the parsing path makes of records: their columns, and each full row with every column present. */
function parsed(texts: readonly string[]): { columns: string[]; rows: Row[] } {
  const collector = new ColumnCollector();
  const rows = texts.map((t, i) => rowFromJsonRecord(JSON.parse(t), `record ${i}`, collector));
  const columns = collector.columns;
  return {
    columns,
    rows: rows.map((row) => {
      const full: Record<string, CellValue> = {};
      for (const column of columns) full[column] = row[column] ?? (isTextColumn(column) ? '' : null);
      return full;
    }),
  };
}

function render(renderer: CsvFromJson, t: string, at = 0): { line: string | null; used: number; room: number } {
  const input = Buffer.from(`  ${t}  `);
  const room = renderer.room(input.length - 4);
  const out = Buffer.alloc(at + room);
  const end = renderer.render(input, 2, input.length - 2, out, at);
  return { line: end < 0 ? null : out.toString('utf8', at, end), used: end - at, room };
}

describe('CsvFromJson', () => {
  it('renders every record shape exactly as csvLine renders the parsed row, within its room', () => {
    for (const spaced of [false, true]) {
      const texts = records(400, spaced ? 2 : 1).map((r) => text(r, spaced));
      const { columns, rows } = parsed(texts);
      const renderer = new CsvFromJson(columns);
      texts.forEach((t, i) => {
        const { line, used, room } = render(renderer, t, i % 7);
        // As written to a file: UTF-8, where a lone surrogate becomes U+FFFD either way.
        expect(line).toBe(Buffer.from(csvLine(rows[i]!, columns)).toString());
        expect(used).toBeLessThanOrEqual(room);
      });
    }
  });

  it('gives each rendered record its row: every cell but the per-layer ones', () => {
    const source = records(300, 3);
    const texts = source.map((r) => text(r, false));
    const { columns, rows } = parsed(texts);
    const renderer = new CsvFromJson(columns);
    texts.forEach((t, i) => {
      const input = Buffer.from(t);
      expect(renderer.render(input, 0, input.length, Buffer.alloc(renderer.room(input.length)), 0)).toBeGreaterThan(0);
      const expected: Record<string, CellValue> = { ...rows[i]! };
      const layers = source[i]!['fm_layers'];
      if (layers && typeof layers === 'object') {
        for (const [sub, values] of Object.entries(layers)) values.forEach((_, layer) => delete expected[layerColumn(sub, layer)]);
      }
      expect(renderer.scalarRow(input, 0, input.length)).toEqual(expected);
    });
  });

  it('copies number tokens as the record wrote them: the same float64 read back', () => {
    const t = '{"ref":"r","syn":"s","status":"ok","fm":1.50,"gen":1E-3,"disc":-0,"mel_l1":123456789012345678901234567890,"fm_layers":{"s":[2.50e+0,0.10000000000000001]}}';
    const { columns, rows } = parsed([t]);
    const { line } = render(new CsvFromJson(columns), t);
    expect(line).toBe('r,s,ok,1.50,1E-3,-0,123456789012345678901234567890,2.50e+0,0.10000000000000001\n');
    const back = parseCsv(`${columns.join(',')}\n${line}`, 'back').rows[0]!;
    for (const column of columns) expect(Object.is(back[column], rows[0]![column]) || back[column] === rows[0]![column]).toBe(true);
  });

  it('leaves records it does not handle to the parser, writing nothing', () => {
    const columns = ['ref', 'syn', 'status', 'fm', 'fm_s_0', 'fm_s_1', '__proto__'];
    const renderer = new CsvFromJson(columns);
    for (const t of [
      '{"ref":"a","ref":"b"}', // a duplicate key
      '{"ref":"a","fm_layers":{"s":[1]},"fm_layers":null}',
      '{"fm_s_0":1,"fm_layers":{"s":[2]}}', // the same column twice
      '{"fm_layers":{"s":[1],"s":[1,2]}}',
      '{"__proto__":1}',
      '{"other":1}', // a column it was not told of
      '{"fm_layers":{"p2":[1]}}',
      '{"fm":true}',
      '{"fm":{"x":1}}',
      '{"fm":[1]}',
      '{"fm_layers":[1]}',
      '{"fm_layers":{"s":[[1]]}}',
      '{"fm_layers":{"s":1}}',
      '{"ref":"a"',
      '{"ref":"a"} x',
      '{"ref":"a}',
      '["ref"]',
      '',
      '{"fm":}',
      '{"fm" 1}',
      '{"fm":nul}',
    ]) {
      const out = Buffer.alloc(renderer.room(Buffer.byteLength(t)) + 8, 0x7e);
      const input = Buffer.from(t);
      expect({ t, end: renderer.render(input, 0, input.length, out, 4) }).toEqual({ t, end: -1 });
      expect(out.every((byte) => byte === 0x7e)).toBe(true);
    }
  });

  it('never reads past the end it is given', () => {
    const columns = ['ref', 'fm'];
    const renderer = new CsvFromJson(columns);
    const whole = Buffer.from('{"ref":"abc","fm":12}');
    // Every cut of a valid record is refused, though the bytes after the cut would complete it.
    for (let end = 0; end < whole.length; end++) {
      expect(renderer.render(whole, 0, end, Buffer.alloc(64), 0)).toBe(-1);
    }
    expect(renderer.render(whole, 0, whole.length, Buffer.alloc(64), 0)).toBeGreaterThan(0);
  });

  it('keeps up with keys that change place from record to record', () => {
    const columns = ['ref', 'syn', 'fm', 'gen'];
    const renderer = new CsvFromJson(columns);
    const line = (t: string): string => render(renderer, t).line!;
    expect(line('{"ref":"a","syn":"b","fm":1,"gen":2}')).toBe('a,b,1,2\n');
    expect(line('{"syn":"b","ref":"a","gen":2,"fm":1}')).toBe('a,b,1,2\n');
    expect(line('{"fm":3}')).toBe(',,3,\n');
    expect(line('{"ref":"a","syn":"b","fm":1,"gen":2}')).toBe('a,b,1,2\n');
  });

  it('remembers the keys it met, not the buffer they were in (buffers are reused)', () => {
    const renderer = new CsvFromJson(['ab', 'cd']);
    const input = Buffer.from('{"ab":1,"cd":2}');
    const out = Buffer.alloc(64);
    expect(out.toString('utf8', 0, renderer.render(input, 0, input.length, out, 0))).toBe('1,2\n');
    input.write('{"cd":1,"ab":2}');
    expect(out.toString('utf8', 0, renderer.render(input, 0, input.length, out, 0))).toBe('2,1\n');
  });
});

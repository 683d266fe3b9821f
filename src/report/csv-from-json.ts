/**
 * CSV records made straight from the text of checked JSON records, for `merge` and `report`
 * to CSV. Parsing a record, building its row of a hundred-odd cells and formatting every number
 * back into text was most of a million-row merge's time; here the record's bytes are scanned
 * once and each cell's token is copied into the CSV line as it is.
 *
 * So a number appears in the CSV exactly as the JSON record wrote it. For the tool's own records
 * (written by `JSON.stringify`, JavaScript's shortest round-trip form) that is the text
 * `csvLine` makes of the parsed value; a record from elsewhere may say `1.50` or `1E-3`, which
 * reads back to the same float64. Text cells get what `csvLine` gives them: the formula guard,
 * then quotes when needed.
 *
 * Hand-written because no library does this: JSON parsers hand back values, not token text.
 * The scanner knows only the shape `checkJsonRecord` lets through (an object of strings,
 * numbers and nulls, with `fm_layers` an object of arrays of numbers and nulls), and bounds
 * every step by the record's end. Anything else (a duplicate key, a column it was not told of,
 * `__proto__`) makes `render` return -1 without writing, and the caller formats the parsed row
 * as before: the two paths give the same line (tested on generated records).
 */
import { isTextColumn, layerColumn, type CellValue, type Row } from './columns.js';
import { csvCell } from './csv.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;
const APOSTROPHE = 0x27;

/** Cell kinds in `kinds`. */
const ABSENT = 0; // missing or null: an empty cell
const NUMBER = 1; // a number token, copied as it is
const TEXT = 2; // a string without escapes: its bytes are the text's UTF-8
const ESCAPED = 3; // a string with escapes: decoded, then formatted as csvLine does

/** The marker `columnOf` returns for the `fm_layers` key. */
const LAYERS = -2;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** A byte that may start or continue a JSON number (its grammar was checked when the record was parsed). */
function isNumberByte(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2b || byte === 0x2e || byte === 0x65 || byte === 0x45);
}

/** Whether a text cell starts like a formula (csv.ts, FORMULA_START): quotes, then `=`, `+`, `-` or `@`. */
function startsLikeFormula(input: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && input[i] === APOSTROPHE) i++;
  const byte = input[i];
  return i < end && (byte === 0x3d || byte === 0x2b || byte === 0x2d || byte === 0x40);
}

/** A key the scanner has met at one place in a record, so the next record's key there costs a byte compare. */
interface KnownKey {
  readonly bytes: Uint8Array;
  /** The column, LAYERS, or (for a sub of `fm_layers`) the index into `layerColumns`. */
  readonly target: number;
}

export class CsvFromJson {
  private readonly index = new Map<string, number>();
  private readonly textColumn: Uint8Array;
  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Which record last set each column: a second key for a column is a duplicate. */
  private readonly stamps: Uint32Array;
  private stamp = 0;
  /** Per sub of `fm_layers` met so far, the columns of its layers. */
  private readonly layerColumns: Int32Array[] = [];
  private readonly subIndex = new Map<string, number>();
  private readonly subNames: string[] = [];
  private readonly topKeys: (KnownKey | undefined)[] = [];
  private readonly subKeys: (KnownKey | undefined)[] = [];
  /** Where the last rendered record's `fm_layers` member is cut out for its row: bytes [from, to), or none. */
  private cutFrom = -1;
  private cutTo = -1;
  /** Text columns the last record gave as null: their cell is '' in a row. */
  private readonly nullTexts: number[] = [];
  /** Columns the last record gave a cell, scalar or per-layer. */
  private claimed = 0;

  constructor(readonly columns: readonly string[]) {
    const n = columns.length;
    this.textColumn = new Uint8Array(n);
    this.kinds = new Uint8Array(n);
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.stamps = new Uint32Array(n);
    columns.forEach((column, i) => {
      this.index.set(column, i);
      if (isTextColumn(column)) this.textColumn[i] = 1;
    });
  }

  /** The most bytes `render` writes for a record of `recordBytes` bytes. */
  room(recordBytes: number): number {
    // A cell is never longer than its token plus the formula quote (a decoded escape is no
    // longer than the escape; quotes around a cell replace the string's own); plus the commas.
    return recordBytes + 2 * this.columns.length + 1;
  }

  /**
   * Writes the CSV record (ending in '\n') of the checked JSON record in `input[start, end)`
   * into `out` at `at`, which has `room(end - start)` bytes free. Returns where the record ends
   * in `out`, or -1 (nothing written) when the record is not in the shape this handles.
   */
  render(input: Buffer, start: number, end: number, out: Buffer, at: number): number {
    if (!this.scan(input, start, end)) return -1;
    const { kinds, starts, ends } = this;
    let o = at;
    for (let c = 0; c < kinds.length; c++) {
      if (c > 0) out[o++] = COMMA;
      const kind = kinds[c];
      if (kind === ABSENT) continue;
      const s = starts[c]!;
      const e = ends[c]!;
      if (kind === NUMBER) {
        for (let i = s; i < e; i++) out[o++] = input[i]!;
      } else if (kind === TEXT) {
        // Raw JSON string bytes hold no quote, control character or backslash: only a comma
        // needs CSV quotes, and only a formula start the guard.
        let comma = false;
        for (let i = s; i < e; i++) if (input[i] === COMMA) comma = true;
        if (comma) out[o++] = QUOTE;
        if (startsLikeFormula(input, s, e)) out[o++] = APOSTROPHE;
        for (let i = s; i < e; i++) out[o++] = input[i]!;
        if (comma) out[o++] = QUOTE;
      } else {
        const text = JSON.parse(input.toString('utf8', s - 1, e + 1)) as string;
        o += out.write(csvCell(text), o, 'utf8');
      }
    }
    out[o++] = NEWLINE;
    // Writes past a Buffer's end are dropped silently: a record that outgrew its room (which
    // `room` rules out) must fail loudly, not lose bytes.
    if (o > out.length) throw new Error('a CSV record outgrew the room reserved for it');
    return o;
  }

  /**
   * The row `scalarRow` gives, for a record that is not rendered (an HTML page needs no more of
   * a row than this); null when the record is not in the shape this handles.
   */
  scalarRowOf(input: Buffer, start: number, end: number): Row | null {
    return this.scan(input, start, end) ? this.scalarRow(input, start, end) : null;
  }

  /**
   * The row of the record `render` last wrote (same `input`, `start`, `end`): every cell but the
   * per-layer ones, which only its CSV line carries. Text cells given as null are '', and columns
   * the record lacks are filled as a merged row's are.
   */
  scalarRow(input: Buffer, start: number, end: number): Row {
    const text = this.cutFrom < 0 ? input.toString('utf8', start, end) : input.toString('utf8', start, this.cutFrom) + input.toString('utf8', this.cutTo, end);
    const row = JSON.parse(text) as Record<string, CellValue>;
    for (const c of this.nullTexts) row[this.columns[c]!] = '';
    if (this.claimed < this.columns.length) {
      this.columns.forEach((column, c) => {
        if (this.stamps[c] !== this.stamp) row[column] = this.textColumn[c] ? '' : null;
      });
    }
    return row;
  }

  private skip(input: Uint8Array, i: number, end: number): number {
    while (i < end && isSpace(input[i])) i++;
    return i;
  }

  /** The end of the string whose opening quote is at `i` (the index of its closing quote), or -1; `escaped[0]` says whether it has escapes. */
  private stringEnd(input: Uint8Array, i: number, end: number, escaped: boolean[]): number {
    escaped[0] = false;
    for (let j = i + 1; j < end; j++) {
      const byte = input[j];
      if (byte === QUOTE) return j;
      if (byte === BACKSLASH) {
        escaped[0] = true;
        j++;
      }
    }
    return -1;
  }

  private readonly escapedKey = [false];

  /** What the key in `input[s, e)` (quotes excluded) names, through the key met at this place last time when it is the same. */
  private target(input: Buffer, s: number, e: number, escaped: boolean, known: (KnownKey | undefined)[], place: number, sub: boolean): number {
    const previous = known[place];
    if (previous && !escaped && previous.bytes.length === e - s) {
      const bytes = previous.bytes;
      let i = 0;
      while (i < bytes.length && bytes[i] === input[s + i]) i++;
      if (i === bytes.length) return previous.target;
    }
    const key = escaped ? (JSON.parse(input.toString('utf8', s - 1, e + 1)) as string) : input.toString('utf8', s, e);
    let target: number;
    if (sub) target = this.subTarget(key);
    else if (key === 'fm_layers') target = LAYERS;
    else if (key === '__proto__') target = -1;
    else target = this.index.get(key) ?? -1;
    // A copy: Buffer#slice is a view, which would keep (and follow changes to) the whole chunk.
    if (!escaped && place < 4096) known[place] = { bytes: Uint8Array.prototype.slice.call(input, s, e), target };
    return target;
  }

  private subTarget(sub: string): number {
    let at = this.subIndex.get(sub);
    if (at === undefined) {
      at = this.layerColumns.length;
      this.subIndex.set(sub, at);
      this.subNames.push(sub);
      this.layerColumns.push(new Int32Array(0));
    }
    return at;
  }

  /** The column of layer `layer` of the sub at `at` in `layerColumns`, or -1. */
  private layerColumn(at: number, layer: number): number {
    let columns = this.layerColumns[at]!;
    if (layer >= columns.length) {
      const sub = this.subNames[at]!;
      const grown = new Int32Array(Math.max(layer + 1, 2 * columns.length));
      grown.set(columns);
      for (let i = columns.length; i < grown.length; i++) grown[i] = this.index.get(layerColumn(sub, i)) ?? -1;
      this.layerColumns[at] = columns = grown;
    }
    return columns[layer]!;
  }

  /** Marks `column` as set by this record; false when it already was (a duplicate key). */
  private claim(column: number): boolean {
    if (column < 0 || this.stamps[column] === this.stamp) return false;
    this.stamps[column] = this.stamp;
    this.claimed++;
    return true;
  }

  /** Reads the record into kinds/starts/ends; false when it is not in the handled shape. */
  private scan(input: Buffer, start: number, end: number): boolean {
    this.kinds.fill(ABSENT);
    this.stamp = (this.stamp + 1) >>> 0 || 1;
    if (this.stamp === 1) this.stamps.fill(0);
    this.cutFrom = this.cutTo = -1;
    this.nullTexts.length = 0;
    this.claimed = 0;
    const escaped = this.escapedKey;
    let layersSeen = false;
    let i = this.skip(input, start, end);
    if (input[i] !== OPEN_BRACE) return false;
    i = this.skip(input, i + 1, end);
    if (input[i] === CLOSE_BRACE) return this.skip(input, i + 1, end) === end;
    let comma = -1; // the comma before the current member, if any
    for (let place = 0; ; place++) {
      if (input[i] !== QUOTE) return false;
      const memberStart = i;
      const keyEnd = this.stringEnd(input, i, end, escaped);
      if (keyEnd < 0) return false;
      const column = this.target(input, i + 1, keyEnd, escaped[0]!, this.topKeys, place, false);
      i = this.skip(input, keyEnd + 1, end);
      if (input[i] !== COLON) return false;
      i = this.skip(input, i + 1, end);
      const byte = input[i];
      if (column === LAYERS) {
        if (layersSeen) return false;
        layersSeen = true;
        if (byte === OPEN_BRACE) i = this.scanLayers(input, i, end);
        else i = this.skipNull(input, i, end);
        if (i < 0) return false;
        this.cutFrom = comma >= 0 ? comma : memberStart;
        this.cutTo = i;
      } else {
        if (!this.claim(column)) return false;
        if (byte === QUOTE) {
          const close = this.stringEnd(input, i, end, escaped);
          if (close < 0) return false;
          this.kinds[column] = escaped[0] ? ESCAPED : TEXT;
          this.starts[column] = i + 1;
          this.ends[column] = close;
          i = close + 1;
        } else if (byte === 0x6e) {
          i = this.skipNull(input, i, end);
          if (i < 0) return false;
          if (this.textColumn[column]) this.nullTexts.push(column);
        } else {
          const s = i;
          while (i < end && isNumberByte(input[i])) i++;
          if (i === s) return false;
          this.kinds[column] = NUMBER;
          this.starts[column] = s;
          this.ends[column] = i;
        }
      }
      i = this.skip(input, i, end);
      if (input[i] === COMMA) {
        // `fm_layers` as the first member is cut out with the comma after it.
        if (column === LAYERS && comma < 0) this.cutTo = i + 1;
        comma = i;
        i = this.skip(input, i + 1, end);
        continue;
      }
      if (input[i] !== CLOSE_BRACE) return false;
      return this.skip(input, i + 1, end) === end;
    }
  }

  /** Past `null` at `i`, or -1. */
  private skipNull(input: Uint8Array, i: number, end: number): number {
    return i + 4 <= end && input[i] === 0x6e && input[i + 1] === 0x75 && input[i + 2] === 0x6c && input[i + 3] === 0x6c ? i + 4 : -1;
  }

  /** Reads the `fm_layers` object at `i` into the layer columns; returns the index past it, or -1. */
  private scanLayers(input: Buffer, i: number, end: number): number {
    const escaped = this.escapedKey;
    i = this.skip(input, i + 1, end);
    if (input[i] === CLOSE_BRACE) return i + 1;
    const seen: number[] = [];
    for (let place = 0; ; place++) {
      if (input[i] !== QUOTE) return -1;
      const keyEnd = this.stringEnd(input, i, end, escaped);
      if (keyEnd < 0) return -1;
      const sub = this.target(input, i + 1, keyEnd, escaped[0]!, this.subKeys, place, true);
      if (seen.includes(sub)) return -1;
      seen.push(sub);
      i = this.skip(input, keyEnd + 1, end);
      if (input[i] !== COLON) return -1;
      i = this.skip(input, i + 1, end);
      if (input[i] !== OPEN_BRACKET) return -1;
      i = this.skip(input, i + 1, end);
      if (input[i] !== CLOSE_BRACKET) {
        for (let layer = 0; ; layer++) {
          const column = this.layerColumn(sub, layer);
          if (!this.claim(column)) return -1;
          if (input[i] === 0x6e) {
            i = this.skipNull(input, i, end);
            if (i < 0) return -1;
          } else {
            const s = i;
            while (i < end && isNumberByte(input[i])) i++;
            if (i === s) return -1;
            this.kinds[column] = NUMBER;
            this.starts[column] = s;
            this.ends[column] = i;
          }
          i = this.skip(input, i, end);
          if (input[i] === COMMA) {
            i = this.skip(input, i + 1, end);
            continue;
          }
          if (input[i] !== CLOSE_BRACKET) return -1;
          break;
        }
      }
      i = this.skip(input, i + 1, end);
      if (input[i] === COMMA) {
        i = this.skip(input, i + 1, end);
        continue;
      }
      if (input[i] !== CLOSE_BRACE) return -1;
      return i + 1;
    }
  }
}

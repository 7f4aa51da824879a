import { table, type Table } from '@abc/core';
import { DatasetFormatError } from './checksums.js';

/** One CSV record (row) and the line it starts on (1-based; the header is line 1 in a typical file). */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * An incremental RFC 4180 tokenizer: feed it text in pieces of any size (`push`) and it returns the records
 * completed so far; `end()` returns the last one. Fields may be quoted with `"`, a quote inside a quoted field
 * is written `""`, and quoted fields may hold delimiters and line breaks. Lines end with LF, CRLF or CR. A
 * completely blank line is skipped. Errors ({@link DatasetFormatError}) name the file, the line and the column
 * (1-based field number): an unterminated quote, a quote inside an unquoted field, text after a closing quote.
 *
 * @example
 * const tok = new CsvTokenizer('data.csv');
 * const records = [...tok.push('a,b\n1,"x, y"\n2,'), ...tok.push('z\n'), ...tok.end()];
 * // [{ fields: ['a', 'b'], line: 1 }, { fields: ['1', 'x, y'], line: 2 }, { fields: ['2', 'z'], line: 3 }]
 */
export class CsvTokenizer {
  private readonly name: string;
  private readonly delim: number;
  private field = '';
  private record: string[] = [];
  /** 0: in an unquoted field (or at its start), 1: inside quotes, 2: just after a closing quote. */
  private state = 0;
  private fieldHasText = false;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private pendingCR = false;
  private quotedCR = false;
  private started = false;

  constructor(name = 'CSV data', delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new DatasetFormatError(
        name,
        'format',
        `the delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`,
        'param',
      );
    }
    this.name = name;
    this.delim = delimiter.charCodeAt(0);
  }

  /** Feeds the next piece of text; returns the records it completed. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
    }
    const n = text.length;
    const delim = this.delim;
    while (i < n) {
      if (this.pendingCR) {
        this.pendingCR = false;
        if (text.charCodeAt(i) === 10) {
          i++;
          continue;
        }
      }
      if (this.state === 1) {
        // Inside quotes: copy up to the next quote.
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.countLines(text, i, n);
          this.field += text.slice(i);
          i = n;
          break;
        }
        this.countLines(text, i, q);
        this.quotedCR = false;
        if (q + 1 < n) {
          if (text.charCodeAt(q + 1) === 34) {
            this.field += text.slice(i, q + 1);
            i = q + 2;
          } else {
            this.field += text.slice(i, q);
            this.state = 2;
            i = q + 1;
          }
        } else {
          // The quote is the last character of this piece: it may be the first half of "".
          this.field += text.slice(i, q);
          this.state = 3;
          i = q + 1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (this.state === 3) {
        // A quote ended the previous piece.
        if (c === 34) {
          this.field += '"';
          this.state = 1;
          i++;
          continue;
        }
        this.state = 2;
      }
      if (this.state === 2) {
        if (c === delim) {
          this.endField();
          i++;
        } else if (c === 10 || c === 13) {
          this.endRecord(out, c, false);
          i++;
        } else {
          throw this.error(`a closing quote is followed by ${JSON.stringify(text[i])}; expected a delimiter or a line break`);
        }
        continue;
      }
      // state 0: unquoted.
      if (c === 34) {
        if (this.fieldHasText)
          throw this.error('a quote inside an unquoted field; quote the whole field and double the quote (RFC 4180)');
        this.state = 1;
        this.fieldHasText = true;
        this.quoteLine = this.line;
        this.quotedCR = false;
        i++;
        continue;
      }
      // Copy the run of ordinary characters.
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === delim || d === 10 || d === 13 || d === 34) break;
        j++;
      }
      if (j > i) {
        this.field += text.slice(i, j);
        this.fieldHasText = true;
        i = j;
        continue;
      }
      if (c === delim) {
        this.endField();
        i++;
      } else {
        this.endRecord(out, c, true);
        i++;
      }
    }
    return out;
  }

  /** Ends the input: returns the last record (a file need not end with a line break). */
  end(): CsvRecord[] {
    if (this.state === 1) {
      throw new DatasetFormatError(
        this.name,
        'format',
        `line ${this.quoteLine}, column ${this.record.length + 1}: unterminated quoted field (the quote opened here is never closed)`,
      );
    }
    const out: CsvRecord[] = [];
    if (this.state !== 0 || this.fieldHasText || this.record.length > 0) {
      this.endField();
      out.push({ fields: this.record, line: this.recordLine });
      this.record = [];
    }
    return out;
  }

  /** Counts line breaks inside a quoted field (CRLF once, also when split between pieces). */
  private countLines(text: string, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === 10) {
        if (!this.quotedCR) this.line++;
        this.quotedCR = false;
      } else if (c === 13) {
        this.line++;
        this.quotedCR = true;
      } else this.quotedCR = false;
    }
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.state = 0;
    this.fieldHasText = false;
  }

  private endRecord(out: CsvRecord[], c: number, unquoted: boolean): void {
    const blank = unquoted && !this.fieldHasText && this.record.length === 0;
    if (!blank) {
      this.endField();
      out.push({ fields: this.record, line: this.recordLine });
      this.record = [];
    }
    this.state = 0;
    this.line++;
    this.recordLine = this.line;
    if (c === 13) this.pendingCR = true;
  }

  private error(message: string): DatasetFormatError {
    return new DatasetFormatError(this.name, 'format', `line ${this.line}, column ${this.record.length + 1}: ${message}`);
  }
}

/** The type of a parsed column. */
export type CsvColumnType = 'number' | 'string';

/** Options of {@link parseCsv} and {@link readCsvChunks}. */
export interface CsvOptions {
  /** The file name for error messages. */
  name?: string;
  /** The label column (by header name): 0/1 or true/false, taken out of the table into `labels`. */
  label?: string;
  /** One character; default ','. */
  delimiter?: string;
  /**
   * Column types by name, overriding inference. Inference: a column is numeric when every non-empty cell is a
   * number (a missing marker `NA`, `NaN`, `nan`, `N/A` or `null` counts as empty there), else a string column.
   */
  columnTypes?: Readonly<Record<string, CsvColumnType>>;
}

/** A parsed CSV: the table of feature columns and, when a label column was named, its 0/1 labels. */
export interface CsvData {
  /** Numeric columns as Float32Array (missing = NaN), the others as strings (missing = null). */
  readonly table: Table;
  /** 1 = anomaly, 0 = normal; present when `label` was given. */
  readonly labels?: Uint8Array;
  /** The header's column names, in file order (the label column included). */
  readonly header: readonly string[];
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);

/** A cell as a number: NaN for a missing marker, undefined when it is not a number. */
function cellNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (MISSING.has(s)) return NaN;
  if (NUMBER_RE.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return undefined;
}

function labelValue(cell: string): 0 | 1 | undefined {
  const s = cell.trim().toLowerCase();
  if (s === 'true') return 1;
  if (s === 'false') return 0;
  if (s === '' || !NUMBER_RE.test(s)) return undefined;
  const v = Number(s);
  return v === 1 ? 1 : v === 0 ? 0 : undefined;
}

interface Layout {
  header: string[];
  featureIndex: number[];
  labelIndex: number;
  types: CsvColumnType[] | null;
}

function layoutFromHeader(record: CsvRecord | undefined, options: CsvOptions, name: string): Layout {
  if (!record) throw new DatasetFormatError(name, 'format', 'the file is empty: a header line is required', 'empty');
  const header = record.fields.map((h, k) => (h.trim() === '' ? `Unnamed: ${k}` : h.trim()));
  const seen = new Map<string, number>();
  header.forEach((h, k) => {
    if (seen.has(h)) {
      throw new DatasetFormatError(
        name,
        'format',
        `line ${record.line}: column name "${h}" appears twice in the header (columns ${seen.get(h)! + 1} and ${k + 1})`,
        'feature-names',
      );
    }
    seen.set(h, k);
  });
  let labelIndex = -1;
  if (options.label !== undefined) {
    labelIndex = header.indexOf(options.label);
    if (labelIndex < 0) {
      throw new DatasetFormatError(
        name,
        'format',
        `no label column "${options.label}"; the header has ${header.map((h) => `"${h}"`).join(', ')}`,
        'param',
      );
    }
  }
  for (const key of Object.keys(options.columnTypes ?? {})) {
    if (!seen.has(key))
      throw new DatasetFormatError(name, 'format', `columnTypes names "${key}", which is not in the header`, 'param');
  }
  const featureIndex = header.map((_, k) => k).filter((k) => k !== labelIndex);
  return { header, featureIndex, labelIndex, types: null };
}

function checkWidth(layout: Layout, r: CsvRecord, name: string): void {
  if (r.fields.length !== layout.header.length) {
    throw new DatasetFormatError(
      name,
      'format',
      `line ${r.line} has ${r.fields.length} fields but the header has ${layout.header.length}`,
      'ragged',
    );
  }
}

function inferTypes(layout: Layout, records: readonly CsvRecord[], options: CsvOptions): CsvColumnType[] {
  return layout.featureIndex.map((k) => {
    const given = options.columnTypes?.[layout.header[k]];
    if (given) return given;
    for (const r of records) if (cellNumber(r.fields[k]) === undefined) return 'string';
    return 'number';
  });
}

function buildChunk(layout: Layout, records: readonly CsvRecord[], name: string): { table: Table; labels?: Uint8Array } {
  const types = layout.types!;
  const n = records.length;
  const columns = layout.featureIndex.map((k, c) => {
    if (types[c] === 'string') {
      const col: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = records[i].fields[k];
        col[i] = v === '' ? null : v;
      }
      return col;
    }
    const col = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = cellNumber(records[i].fields[k]);
      if (v === undefined) {
        throw new DatasetFormatError(
          name,
          'format',
          `line ${records[i].line}, column ${k + 1} ("${layout.header[k]}"): ${JSON.stringify(records[i].fields[k].slice(0, 40))} is not a number, but the column is numeric` +
            (layout.types ? ' (as inferred from the first chunk or given in columnTypes)' : ''),
          'type',
        );
      }
      col[i] = v;
    }
    return col;
  });
  const t = table(
    layout.featureIndex.map((k) => layout.header[k]),
    columns,
  );
  if (layout.labelIndex < 0) return { table: t };
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cell = records[i].fields[layout.labelIndex];
    const v = labelValue(cell);
    if (v === undefined) {
      throw new DatasetFormatError(
        name,
        'value',
        `line ${records[i].line}, column ${layout.labelIndex + 1} ("${layout.header[layout.labelIndex]}"): label ${JSON.stringify(cell.slice(0, 40))} is not 0/1 or true/false (1 = anomaly, 0 = normal)`,
      );
    }
    labels[i] = v;
  }
  return { table: t, labels };
}

/**
 * Parses a whole CSV file with a header line into a core {@link Table}: numeric columns become Float32Array
 * (empty and NA-like cells NaN), the others string columns (empty cells null). With `label`, that column is
 * taken out of the table and returned as 0/1 `labels` (cells 0, 1, true or false). RFC 4180 quoting. Errors
 * ({@link DatasetFormatError}) name the file, the line and the column: ragged rows, unterminated quotes, a
 * label outside 0/1, a missing label column.
 *
 * @example
 * const { table, labels } = parseCsv('bytes,proto,label\n10,tcp,0\n99,udp,1\n', { label: 'label' });
 * // table.names ['bytes', 'proto']; table.columns[0] Float32Array [10, 99]; labels Uint8Array [0, 1]
 */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): CsvData {
  const name = options.name ?? 'CSV data';
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const tok = new CsvTokenizer(name, options.delimiter ?? ',');
  const records = tok.push(text);
  records.push(...tok.end());
  const layout = layoutFromHeader(records[0], options, name);
  const body = records.slice(1);
  for (const r of body) checkWidth(layout, r, name);
  layout.types = inferTypes(layout, body, options);
  return { ...buildChunk(layout, body, name), header: layout.header };
}

/** Options of {@link readCsvChunks}. */
export interface CsvChunkOptions extends CsvOptions {
  /** Rows per chunk (default 10,000). */
  chunkRows?: number;
}

/** One chunk of rows from {@link readCsvChunks}. */
export interface CsvChunk extends CsvData {
  /** Index of the chunk's first data row in the file (0 = the row after the header). */
  readonly startRow: number;
  /** The file line its first row starts on. */
  readonly startLine: number;
}

/**
 * Reads a CSV from a stream of text or bytes (a Node `Readable`, a `ReadableStream` in runtimes where it is
 * async-iterable, or any async iterable of pieces) as chunks of at most `chunkRows` rows, so files larger than
 * memory can be scored chunk by chunk. Bytes are decoded as UTF-8 across piece boundaries. Column types come
 * from `columnTypes` where given, else from the first chunk, and stay fixed: a later non-number in a numeric
 * column is an error naming its line and column (give `columnTypes` when the first rows are not typical).
 *
 * @example
 * for await (const chunk of readCsvChunks(createReadStream('big.csv'), { label: 'label', chunkRows: 50_000 })) {
 *   const scores = await detector.scoreSamples(tableToMatrix(chunk.table));
 * }
 */
export async function* readCsvChunks(
  source: AsyncIterable<string | Uint8Array>,
  options: CsvChunkOptions = {},
): AsyncGenerator<CsvChunk, void, undefined> {
  const name = options.name ?? 'CSV data';
  const chunkRows = options.chunkRows ?? 10_000;
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1)) {
    throw new DatasetFormatError(name, 'format', `chunkRows must be a positive integer, got ${chunkRows}`, 'param');
  }
  const tok = new CsvTokenizer(name, options.delimiter ?? ',');
  const decoder = new TextDecoder('utf-8');
  let layout: Layout | null = null;
  let pending: CsvRecord[] = [];
  let startRow = 0;
  const take = function* (records: CsvRecord[], flush: boolean): Generator<CsvChunk> {
    for (const r of records) {
      if (!layout) {
        layout = layoutFromHeader(r, options, name);
        continue;
      }
      checkWidth(layout, r, name);
      pending.push(r);
    }
    if (!layout) return;
    // Cut whole chunks by offset (no repeated copying of the rest), keep the remainder for the next piece.
    let offset = 0;
    while (pending.length - offset >= chunkRows || (flush && pending.length > offset)) {
      const rows = pending.slice(offset, offset + chunkRows);
      offset += rows.length;
      if (!layout.types) layout.types = inferTypes(layout, rows, options);
      yield { ...buildChunk(layout, rows, name), header: layout.header, startRow, startLine: rows[0].line };
      startRow += rows.length;
    }
    if (offset > 0) pending = pending.slice(offset);
  };
  for await (const piece of source) {
    const text = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    yield* take(tok.push(text), false);
  }
  const rest = decoder.decode();
  const last = tok.push(rest);
  last.push(...tok.end());
  yield* take(last, true);
  if (!layout) throw new DatasetFormatError(name, 'format', 'the file is empty: a header line is required', 'empty');
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isStringColumn, Random, tableToMatrix, ValidationError } from '@abc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { CsvTokenizer, parseCsv, readCsvChunks, type CsvChunk } from '../src/datasets/csv.js';
import { readCsvFile, streamCsvFile } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';

function error(f: () => unknown): DatasetFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetFormatError);
    expect(e).toBeInstanceOf(ValidationError);
    return e as DatasetFormatError;
  }
  throw new Error('expected an error');
}

async function* pieces(text: string, seed: number, asBytes = false): AsyncGenerator<string | Uint8Array> {
  const rng = new Random(seed);
  const bytes = new TextEncoder().encode(text);
  const unit = asBytes ? bytes : text;
  let i = 0;
  while (i < unit.length) {
    const n = 1 + rng.int(7);
    yield asBytes ? bytes.subarray(i, i + n) : text.slice(i, i + n);
    i += n;
  }
}

async function collect(it: AsyncIterable<CsvChunk>): Promise<CsvChunk[]> {
  const out: CsvChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

const SAMPLE =
  '\uFEFFbytes,proto,"note, quoted",label\r\n' +
  '10,tcp,"he said ""hi""",0\r\n' +
  '\r\n' +
  '20.5,,"two\r\nlines",1\r\n' +
  ',udp,plain,true\r\n' +
  'NA,"tcp",,FALSE';

describe('CsvTokenizer', () => {
  it('follows RFC 4180: quotes, doubled quotes, line breaks inside quotes, CRLF, BOM, no final newline', () => {
    const tok = new CsvTokenizer('t.csv');
    const recs = [...tok.push(SAMPLE), ...tok.end()];
    expect(recs.map((r) => r.fields)).toEqual([
      ['bytes', 'proto', 'note, quoted', 'label'],
      ['10', 'tcp', 'he said "hi"', '0'],
      ['20.5', '', 'two\r\nlines', '1'],
      ['', 'udp', 'plain', 'true'],
      ['NA', 'tcp', '', 'FALSE'],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4, 6, 7]);
  });

  it('gives the same records whatever the piece boundaries', async () => {
    const whole = (() => {
      const t = new CsvTokenizer();
      return [...t.push(SAMPLE), ...t.end()];
    })();
    for (let seed = 0; seed < 30; seed++) {
      const t = new CsvTokenizer();
      const recs = [];
      for await (const p of pieces(SAMPLE, seed)) recs.push(...t.push(p as string));
      recs.push(...t.end());
      expect(recs).toEqual(whole);
    }
  });

  it('errors name the file, the line and the column', () => {
    const t = new CsvTokenizer('q.csv');
    t.push('a,b\n1,"open\n2,3\n');
    expect(error(() => t.end()).message).toBe(
      'q.csv: line 2, column 2: unterminated quoted field (the quote opened here is never closed)',
    );
    expect(error(() => new CsvTokenizer('q.csv').push('a,b\n1,x"y\n')).message).toMatch(
      /^q\.csv: line 2, column 2: a quote inside an unquoted field/,
    );
    expect(error(() => new CsvTokenizer('q.csv').push('a,b\n"x"y,1\n')).message).toMatch(
      /^q\.csv: line 2, column 1: a closing quote is followed by "y"/,
    );
    expect(() => new CsvTokenizer('q.csv', ';;')).toThrow(/delimiter/);
  });
});

describe('parseCsv', () => {
  it('makes a table: numeric columns as Float32Array (missing = NaN), others as strings (missing = null), labels 0/1', () => {
    const { table, labels, header } = parseCsv(SAMPLE, { label: 'label', name: 's.csv' });
    expect(header).toEqual(['bytes', 'proto', 'note, quoted', 'label']);
    expect(table.names).toEqual(['bytes', 'proto', 'note, quoted']);
    expect(table.rows).toBe(4);
    const bytes = table.columns[0] as Float32Array;
    expect(bytes).toBeInstanceOf(Float32Array);
    expect(Array.from(bytes)).toEqual([10, 20.5, NaN, NaN]);
    expect(table.columns[1]).toEqual(['tcp', null, 'udp', 'tcp']);
    expect(table.columns[2]).toEqual(['he said "hi"', 'two\r\nlines', 'plain', null]);
    expect(Array.from(labels!)).toEqual([0, 1, 1, 0]);
  });

  it('without a label column, every column is a feature; all-numeric tables become matrices', () => {
    const d = parseCsv('x,y\n1,2e3\n-0.5,.25\n3,inf\n');
    expect(d.labels).toBeUndefined();
    const X = tableToMatrix(d.table);
    expect(X.featureNames).toEqual(['x', 'y']);
    expect(Array.from(X.data)).toEqual([1, 2000, -0.5, 0.25, 3, Infinity]);
  });

  it('columnTypes overrides inference; a nameless header cell is named as pandas does', () => {
    const d = parseCsv(',zip,v\n0,01234,1\n1,99999,2\n', { columnTypes: { zip: 'string' } });
    expect(d.table.names).toEqual(['Unnamed: 0', 'zip', 'v']);
    expect(d.table.columns[1]).toEqual(['01234', '99999']);
    expect(isStringColumn(d.table.columns[2])).toBe(false);
    expect(() => parseCsv('a\n1\n', { columnTypes: { b: 'string' } })).toThrow(/columnTypes names "b"/);
  });

  it('labels accept 0/1 (also 1.0) and true/false, anything else names the line and the column', () => {
    expect(Array.from(parseCsv('x,y\n1,1.0\n2,0\n3,True\n', { label: 'y' }).labels!)).toEqual([1, 0, 1]);
    const e = error(() => parseCsv('x,y\n1,1\n"a\nb",normal\n', { label: 'y', name: 'l.csv' }));
    expect(e.problem).toBe('value');
    expect(e.reason).toBe('labels');
    expect(e.message).toBe('l.csv: line 3, column 2 ("y"): label "normal" is not 0/1 or true/false (1 = anomaly, 0 = normal)');
    expect(() => parseCsv('x,y\n1,2\n', { label: 'y' })).toThrow(/label "2"/);
    expect(() => parseCsv('x,y\n1,\n', { label: 'y' })).toThrow(/label ""/);
    expect(() => parseCsv('x,y\n1,1\n', { label: 'class', name: 'l.csv' })).toThrow(
      /l\.csv: no label column "class"; the header has "x", "y"/,
    );
  });

  it('ragged rows, duplicate names and empty files are errors naming the file and the line', () => {
    const e = error(() => parseCsv('a,b\n1,"x\ny"\n3\n', { name: 'r.csv' }));
    expect(e.reason).toBe('ragged');
    expect(e.message).toBe('r.csv: line 4 has 1 fields but the header has 2');
    expect(() => parseCsv('a,b,a\n1,2,3\n', { name: 'd.csv' })).toThrow(/d\.csv: line 1: column name "a" appears twice/);
    expect(error(() => parseCsv('', { name: 'e.csv' })).reason).toBe('empty');
    expect(parseCsv('a,b\n').table.rows).toBe(0);
  });

  it('takes UTF-8 bytes and other delimiters', () => {
    const d = parseCsv(new TextEncoder().encode('name;v\nZürich;1,5\n'), { delimiter: ';' });
    expect(d.table.columns[0]).toEqual(['Zürich']);
    expect(d.table.columns[1]).toEqual(['1,5']); // decimal commas are not numbers
  });
});

describe('readCsvChunks', () => {
  const rows = Array.from({ length: 23 }, (_, i) => `${i},"v ${i}, ""q""",${i % 2}`);
  const text = `n,s,label\n${rows.join('\r\n')}\n`;

  it('yields chunks of chunkRows rows that together equal parseCsv, whatever the byte boundaries', async () => {
    const whole = parseCsv(text, { label: 'label' });
    for (const seed of [1, 2, 3]) {
      const chunks = await collect(readCsvChunks(pieces(text, seed, true), { label: 'label', chunkRows: 5 }));
      expect(chunks.map((c) => c.table.rows)).toEqual([5, 5, 5, 5, 3]);
      expect(chunks.map((c) => c.startRow)).toEqual([0, 5, 10, 15, 20]);
      expect(chunks[1].startLine).toBe(7);
      const n = chunks.flatMap((c) => Array.from(c.table.columns[0] as Float32Array));
      expect(n).toEqual(Array.from(whole.table.columns[0] as Float32Array));
      expect(chunks.flatMap((c) => c.table.columns[1] as string[])).toEqual(whole.table.columns[1]);
      expect(chunks.flatMap((c) => Array.from(c.labels!))).toEqual(Array.from(whole.labels!));
    }
  });

  it('decodes multi-byte characters split across pieces', async () => {
    const t = 'city,v\nZürich,1\nKøbenhavn,2\n東京,3\n';
    for (const seed of [4, 5, 6, 7]) {
      const chunks = await collect(readCsvChunks(pieces(t, seed, true)));
      expect(chunks[0].table.columns[0]).toEqual(['Zürich', 'København', '東京']);
    }
  });

  it('keeps the column types of the first chunk and names a later misfit', async () => {
    const t = 'x\n1\n2\nthree\n';
    await expect(collect(readCsvChunks(pieces(t, 1), { chunkRows: 2, name: 'c.csv' }))).rejects.toThrow(
      /^c\.csv: line 4, column 1 \("x"\): "three" is not a number, but the column is numeric/,
    );
    const ok = await collect(readCsvChunks(pieces(t, 1), { chunkRows: 2, columnTypes: { x: 'string' } }));
    expect(ok.map((c) => c.table.columns[0])).toEqual([['1', '2'], ['three']]);
    await expect(collect(readCsvChunks(pieces('', 1), { name: 'e.csv' }))).rejects.toThrow(/e\.csv: the file is empty/);
    await expect(collect(readCsvChunks(pieces('a\n1', 1), { chunkRows: 0 }))).rejects.toThrow(/chunkRows/);
  });
});

describe('CSV files (Node)', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const text = `f1,f2,label\n${Array.from({ length: 1000 }, (_, i) => `${i},${i / 4},${i % 3 === 0 ? 1 : 0}`).join('\n')}`;

  it('reads plain and gzipped files, whole or streamed', async () => {
    const plain = join(tmp.dir, 'd.csv');
    const gz = join(tmp.dir, 'd.csv.gz');
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    const a = await readCsvFile(plain, { label: 'label' });
    const b = await readCsvFile(gz, { label: 'label' });
    expect(a.table.rows).toBe(1000);
    expect(b).toEqual(a);
    for (const p of [plain, gz]) {
      const chunks = await collect(streamCsvFile(p, { label: 'label', chunkRows: 300 }));
      expect(chunks.map((c) => c.table.rows)).toEqual([300, 300, 300, 100]);
      expect(chunks.flatMap((c) => Array.from(c.labels!))).toEqual(Array.from(a.labels!));
    }
  });

  it('errors name the file: missing, corrupt gzip, bad content', async () => {
    const missing = join(tmp.dir, 'missing.csv');
    await expect(readCsvFile(missing)).rejects.toThrow(`${missing}: no such file`);
    await expect(collect(streamCsvFile(missing))).rejects.toThrow(`${missing}: no such file`);
    const corrupt = join(tmp.dir, 'corrupt.csv.gz');
    writeFileSync(corrupt, gzipSync(text).subarray(0, 200));
    const e = await collect(streamCsvFile(corrupt)).catch((x: unknown) => x as DatasetFormatError);
    expect(e).toBeInstanceOf(DatasetFormatError);
    expect((e as DatasetFormatError).problem).toBe('gzip');
    expect((e as DatasetFormatError).message).toContain(corrupt);
    await expect(readCsvFile(corrupt)).rejects.toThrow(/corrupt or truncated gzip/);
    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'a,label\n1,0\n2,yes\n');
    await expect(readCsvFile(bad, { label: 'label' })).rejects.toThrow(`${bad}: line 3, column 2 ("label")`);
  });
});

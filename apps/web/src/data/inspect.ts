import { isStringColumn } from '@abc/core';
import { parseCsv } from '@abc/eval';

/** A column of a loaded CSV, as the page offers it for choice. */
export interface ColumnInfo {
  name: string;
  type: 'number' | 'string';
  /** Distinct non-empty values, in order of appearance, when there are at most 20 (for kind and label columns). */
  values: string[] | null;
}

/** What the page shows of a CSV before anything is fitted: its columns and first rows. */
export interface CsvPreview {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  /** The first rows, as the cells' text. */
  head: string[][];
}

/**
 * Parses a CSV for the preview: column names, inferred types (as `@abc/eval`'s `parseCsv` infers them) and the
 * first `headRows` rows. Raises `parseCsv`'s own errors (an empty file, a ragged row, a broken quote), so the page
 * shows the same message as the CLI and the library.
 *
 * @example
 * previewCsv('x,kind\n1,normal\n', 'a.csv').columns; // [{ name: 'x', type: 'number', ... }, { name: 'kind', type: 'string', ... }]
 */
export function previewCsv(text: string | Uint8Array, name: string, headRows = 8): CsvPreview {
  const { table } = parseCsv(text, { name });
  const columns: ColumnInfo[] = table.names.map((n, j) => {
    const col = table.columns[j];
    const seen = new Set<string>();
    for (let i = 0; i < table.rows && seen.size <= 20; i++) {
      const v = col[i];
      if (v === null || (typeof v === 'number' && Number.isNaN(v))) continue;
      seen.add(String(v));
    }
    return { name: n, type: isStringColumn(col) ? 'string' : 'number', values: seen.size <= 20 ? [...seen] : null };
  });
  const head: string[][] = [];
  for (let i = 0; i < Math.min(headRows, table.rows); i++) {
    head.push(
      table.columns.map((c) => {
        const v = c[i];
        return v === null ? '' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
      }),
    );
  }
  return { name, rows: table.rows, columns, head };
}

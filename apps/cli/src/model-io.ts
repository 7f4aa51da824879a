import {
  OneHotEncoder,
  Pipeline,
  table,
  isStringColumn,
  ValidationError,
  type Detector,
  type Table,
  type TableColumn,
} from '@abc/core';
import { loadFile } from '@abc/core/node';
import type { CsvColumnType } from '@abc/eval';
import { streamCsvFile } from '@abc/eval/node';
import { UsageError } from './errors.js';
import { readInput, sniff, type InputOptions } from './data-input.js';
import { loadOnnxModel, rejectBackendFlags, type BackendChoice } from './onnx-model.js';

/**
 * Loads a model file for scoring: a saved model (`abc fit`), or an `.onnx` file (`abc export`, or any model
 * with our input/output contract) run in onnxruntime on the chosen backend.
 */
export async function loadModel(path: string, choice: BackendChoice = {}): Promise<Detector> {
  if (path.toLowerCase().endsWith('.onnx')) return loadOnnxModel(path, choice);
  rejectBackendFlags(path, choice);
  return loadFile(path);
}

/** The feature columns a model was fitted on, and which of them the model reads as categories (strings). */
export function modelColumns(model: Detector): { names: readonly string[]; types: Record<string, CsvColumnType> } {
  const names = model.featureNames;
  if (!names)
    throw new UsageError('the model has no feature names (it was not fitted from a CSV), so CSV columns cannot be matched to it');
  const types: Record<string, CsvColumnType> = {};
  for (const n of names) types[n] = 'number';
  if (model instanceof Pipeline && model.transformers[0] instanceof OneHotEncoder) {
    for (const c of model.transformers[0].categories) types[c.column] = 'string';
  }
  return { names, types };
}

/** Picks the model's feature columns from a CSV table by name; a missing one is an error that names it. */
export function selectColumns(t: Table, names: readonly string[], file: string): Table {
  const index = new Map(t.names.map((n, j) => [n, j]));
  const columns: TableColumn[] = names.map((n) => {
    const j = index.get(n);
    if (j === undefined)
      throw new ValidationError('feature-names', `${file}: column "${n}" that the model was fitted on is missing`);
    return t.columns[j];
  });
  return table(names, columns);
}

/** True when any string column is in the table (so the pipeline needs an encoder). */
export function hasStringColumns(t: Table): boolean {
  return t.columns.some((c) => isStringColumn(c));
}

/**
 * Streams a CSV through a model chunk by chunk (files larger than memory work): yields the scores of each
 * chunk with its labels when a label column was named.
 */
export async function* scoreCsv(
  model: Detector,
  file: string,
  options: { label?: string; chunkRows?: number } & Omit<InputOptions, 'label'> = {},
): AsyncGenerator<{ scores: Float32Array; labels?: Uint8Array; startRow: number }> {
  const { names, types } = modelColumns(model);
  const { format } = await sniff(file);
  if (format !== 'csv') {
    // IDX / CIFAR-10 arrays: read whole (their size is bounded by the format's datasets), scored in chunks.
    const { table: t, labels } = await readInput(file, { ...options, label: undefined });
    const chunk = options.chunkRows ?? 10_000;
    for (let start = 0; start < t.rows; start += chunk) {
      const end = Math.min(t.rows, start + chunk);
      const part = table(
        t.names,
        t.columns.map((c) => (c as Float32Array).subarray(start, end)),
      );
      yield {
        scores: await model.scoreSamples(selectColumns(part, names, file)),
        labels: labels?.subarray(start, end),
        startRow: start,
      };
    }
    return;
  }
  const header = await peekHeader(file);
  if (header) {
    const present = new Set(header);
    const missing = names.find((n) => !present.has(n));
    if (missing !== undefined)
      throw new ValidationError('feature-names', `${file}: column "${missing}" that the model was fitted on is missing`);
  }
  for await (const chunk of streamCsvFile(file, {
    label: options.label,
    chunkRows: options.chunkRows ?? 10_000,
    columnTypes: types,
  })) {
    const scores = await model.scoreSamples(selectColumns(chunk.table, names, file));
    yield { scores, labels: chunk.labels, startRow: chunk.startRow };
  }
}

/** Formats a score with enough digits to read back the same float32 (at least 7 significant digits). */
export function formatScore(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(9))) : String(v);
}

/** The header of a CSV file (null when the file has no data row), read from its first chunk. */
async function peekHeader(file: string): Promise<readonly string[] | null> {
  for await (const chunk of streamCsvFile(file, { chunkRows: 1, columnTypes: {} })) return chunk.header;
  return null;
}

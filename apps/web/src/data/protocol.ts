/**
 * The messages between the page and the data worker (`worker.ts`), which reads and parses CSV files off the main
 * thread: the training file (`load`, then `build`) and a file to score with an exported model (`matrix`). Arrays come back as transferred typed arrays, never as arrays of objects.
 */
import type { DatasetChoice } from './dataset.js';
import type { CsvPreview } from './inspect.js';

/** Where a CSV comes from: a file the user dropped or picked, text, or the built-in toy sample. */
export type CsvSource =
  | { kind: 'file'; file: Blob; name: string }
  | { kind: 'text'; text: string; name: string }
  | { kind: 'sample'; nPerClass: number; seed: number };

/** Page → data worker; `id` pairs a request with its answer. */
export type DataRequest =
  | { id: number; type: 'load'; source: CsvSource; headRows: number }
  | { id: number; type: 'build'; choice: DatasetChoice }
  | { id: number; type: 'matrix'; source: CsvSource; featureNames: string[] | null; nFeatures: number | null };

/** A dataset as it crosses from the worker: flat typed arrays (transferred) and small string lists. */
export interface DatasetMessage {
  X: Float32Array;
  rows: number;
  cols: number;
  featureNames: string[];
  labels: Uint8Array | null;
  unknown: Uint8Array;
  tagCodes: Uint32Array;
  tagNames: string[];
}

/** A feature matrix as it crosses from the worker (its buffer transferred). */
export interface MatrixMessage {
  data: Float32Array;
  rows: number;
  cols: number;
  featureNames: string[];
}

/** A failure in the worker, with what the page needs to rebuild the typed error. */
export interface DataError {
  name: string;
  /** `ValidationError`'s reason, when it is one. */
  reason: string | null;
  message: string;
}

/** Data worker → page. */
export type DataResponse =
  | { id: number; type: 'preview'; preview: CsvPreview }
  | { id: number; type: 'dataset'; dataset: DatasetMessage }
  | { id: number; type: 'matrix'; matrix: MatrixMessage }
  | { id: number; type: 'error'; error: DataError };

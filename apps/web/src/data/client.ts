import { type Matrix, matrix } from '@abc/core';
import type { Dataset, DatasetChoice } from './dataset.js';
import type { CsvPreview } from './inspect.js';
import { datasetFromMessage, errorFromMessage } from './message.js';
import type { CsvSource, DataRequest, DataResponse } from './protocol.js';

/** Rows of the file shown in the preview. */
export const PREVIEW_ROWS = 8;

/**
 * The page's handle on the data worker: `load` hands it a CSV and resolves to the preview, `build` resolves to the
 * dataset for the chosen columns. Both reject with the library's typed error (its message unchanged) when the file
 * or the choice is bad. A file is handed over as a `Blob` (no copy on the main thread); the worker reads it.
 *
 * @example
 * const data = new DataClient();
 * const preview = await data.load({ kind: 'file', file, name: file.name });
 * const ds = await data.build({ label: null, kind: 'kind', roles: {}, features: ['x', 'y'] });
 */
export class DataClient {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'abc-data' });
  private next = 1;
  private readonly pending = new Map<number, { ok: (r: DataResponse) => void; fail: (e: Error) => void }>();

  constructor() {
    this.worker.onmessage = (e: MessageEvent<DataResponse>) => {
      const p = this.pending.get(e.data.id);
      if (!p) return;
      this.pending.delete(e.data.id);
      if (e.data.type === 'error') p.fail(errorFromMessage(e.data.error));
      else p.ok(e.data);
    };
    this.worker.onerror = (e) => {
      const error = new Error(e.message || 'the data worker failed to start');
      for (const p of this.pending.values()) p.fail(error);
      this.pending.clear();
    };
  }

  /** Parses a CSV in the worker; resolves to its preview (the worker keeps the file for {@link build}). */
  async load(source: CsvSource): Promise<CsvPreview> {
    const r = await this.request({ type: 'load', source, headRows: PREVIEW_ROWS });
    if (r.type !== 'preview') throw new Error(`data worker answered ${r.type} to load`);
    return r.preview;
  }

  /** Builds the dataset of the loaded file for a choice of columns (its arrays are transferred to the page). */
  async build(choice: DatasetChoice): Promise<Dataset> {
    const r = await this.request({ type: 'build', choice });
    if (r.type !== 'dataset') throw new Error(`data worker answered ${r.type} to build`);
    return datasetFromMessage(r.dataset);
  }

  /**
   * Reads a CSV to score with a fitted model in the worker: the model's feature columns by name (or its first
   * `nFeatures` columns when it has no names; all when both are unknown), as the command line picks them; a missing
   * one is an error naming it.
   */
  async matrixFor(source: CsvSource, featureNames: readonly string[] | null, nFeatures: number | null): Promise<Matrix> {
    const r = await this.request({ type: 'matrix', source, featureNames: featureNames ? [...featureNames] : null, nFeatures });
    if (r.type !== 'matrix') throw new Error(`data worker answered ${r.type} to matrix`);
    return matrix(r.matrix.data, r.matrix.rows, r.matrix.cols, r.matrix.featureNames);
  }

  private request(body: DistributiveOmit<DataRequest, 'id'>): Promise<DataResponse> {
    const id = this.next++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail });
      this.worker.postMessage({ ...body, id });
    });
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/// <reference lib="webworker" />
/**
 * The data worker: reads a CSV (a dropped or picked file, text, or the toy sample) and parses it off the main
 * thread, answers with a small preview (column names and types, the first rows, the row count), keeps the file's
 * bytes, and on `build` parses them with the page's choice of columns into a dataset whose arrays are transferred
 * to the page (see `message.ts`). On `matrix` it reads a file to score with an exported model and sends back its
 * feature matrix (the model's columns, by name). A 100,000-row file therefore never blocks the page.
 */
import { matrixForModel } from './columns.js';
import { buildDataset } from './dataset.js';
import { previewCsv } from './inspect.js';
import { datasetToMessage, errorToMessage } from './message.js';
import type { CsvSource, DataRequest, DataResponse } from './protocol.js';
import { toySampleCsv } from './sample.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let loaded: { input: string | Uint8Array; name: string } | null = null;

function reply(message: DataResponse, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function read(source: CsvSource): Promise<{ input: string | Uint8Array; name: string }> {
  if (source.kind === 'file') return { input: new Uint8Array(await source.file.arrayBuffer()), name: source.name };
  if (source.kind === 'text') return { input: source.text, name: source.name };
  return { input: toySampleCsv({ nPerClass: source.nPerClass, seed: source.seed }), name: 'toy-sample.csv' };
}

async function handle(msg: DataRequest): Promise<void> {
  if (msg.type === 'load') {
    loaded = null;
    const file = await read(msg.source);
    const preview = previewCsv(file.input, file.name, msg.headRows);
    loaded = file;
    reply({ id: msg.id, type: 'preview', preview });
    return;
  }
  if (msg.type === 'matrix') {
    const file = await read(msg.source);
    const X = matrixForModel(file.input, file.name, msg.featureNames, msg.nFeatures);
    const data = X.data.byteOffset === 0 && X.data.byteLength === X.data.buffer.byteLength ? X.data : X.data.slice();
    const matrix = { data, rows: X.rows, cols: X.cols, featureNames: [...(X.featureNames ?? [])] };
    reply({ id: msg.id, type: 'matrix', matrix }, [data.buffer as ArrayBuffer]);
    return;
  }
  if (!loaded) throw new Error('no CSV is loaded: load a file first');
  const { message, transfer } = datasetToMessage(buildDataset(loaded.input, loaded.name, msg.choice));
  reply({ id: msg.id, type: 'dataset', dataset: message }, transfer);
}

// Requests are handled one at a time, in order (a `build` waits for the `load` before it).
let queue = Promise.resolve();
scope.onmessage = (e: MessageEvent<DataRequest>) => {
  const msg = e.data;
  queue = queue.then(() => handle(msg).catch((err: unknown) => reply({ id: msg.id, type: 'error', error: errorToMessage(err) })));
};

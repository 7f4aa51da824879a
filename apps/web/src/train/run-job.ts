import {
  createDetector,
  getDetectorEntry,
  matrix,
  MinMaxScaler,
  Pipeline,
  serialize,
  StandardScaler,
  takeRows,
  type Detector,
  type Transformer,
} from '@abc/core';
import { toOnnx } from '@abc/onnx-export';
import { detectorParams } from './detectors.js';
import type { DetectorResult, FitJob, ScalerChoice, WorkerEvent } from './protocol.js';

/** Where {@link runJob} sends its events (a worker's `postMessage`, or a test's array). */
export type Emit = (event: WorkerEvent, transfer?: Transferable[]) => void;

/**
 * Fits every requested detector in turn, each in a pipeline `[scaler, detector]` (StandardScaler by default), and emits progress
 * and results. Supervised detectors fit on the training rows with their labels; unsupervised ones on the
 * training rows labelled normal (all training rows when there are no labels), as in the paper's protocol.
 * After fitting, every row of the file (and the grid) is scored, and the pipeline is saved as `.abc` bytes and
 * exported to ONNX. An aborted signal stops the current fit with core's `AbortError` (rethrown).
 *
 * @example
 * await runJob(job, (e) => events.push(e), controller.signal);
 */
export async function runJob(job: FitJob, emit: Emit, signal?: AbortSignal): Promise<void> {
  const X = matrix(job.X, job.rows, job.cols, job.featureNames);
  for (let index = 0; index < job.detectors.length; index++) {
    const { name, params } = job.detectors[index];
    emit({ type: 'start', detector: name, index, total: job.detectors.length });
    const entry = getDetectorEntry(name);
    let rows = Array.from(job.train);
    if (entry.supervision === 'unsupervised' && job.labels) rows = rows.filter((i) => job.labels![i] === 0);
    const Xtrain = takeRows(X, rows);
    const ytrain = job.labels ? Uint8Array.from(rows, (i) => job.labels![i]) : undefined;
    const full = { ...detectorParams(entry, { ...job.settings, cols: job.cols }), ...params };
    const pipe = new Pipeline([...scalerSteps(job.scaler), createDetector(name, full)]);
    const t0 = performance.now();
    await pipe.fit(Xtrain, entry.supervision === 'supervised' ? ytrain : undefined, {
      signal,
      onProgress: (p) =>
        emit({
          type: 'progress',
          detector: name,
          index,
          step: p.step,
          totalSteps: p.totalSteps,
          unit: p.unit,
          metrics: p.metrics,
        }),
    });
    const fitSeconds = (performance.now() - t0) / 1000;
    const result = await describeFitted(pipe, name, X, job, fitSeconds);
    const transfer: Transferable[] = [result.scores.buffer as ArrayBuffer, result.model.buffer as ArrayBuffer];
    if (result.gridScores) transfer.push(result.gridScores.buffer as ArrayBuffer);
    if (result.onnx) transfer.push(result.onnx.buffer as ArrayBuffer);
    emit({ type: 'result', result }, transfer);
  }
  emit({ type: 'done' });
}

async function describeFitted(
  pipe: Detector,
  name: string,
  X: ReturnType<typeof matrix>,
  job: FitJob,
  fitSeconds: number,
): Promise<DetectorResult> {
  const scores = await pipe.scoreSamples(X);
  const gridScores = job.grid
    ? await pipe.scoreSamples(matrix(job.grid, job.grid.length / job.cols, job.cols, job.featureNames))
    : null;
  const model = await serialize(pipe);
  let onnx: Uint8Array | null = null;
  let onnxError: string | null = null;
  try {
    onnx = toOnnx(pipe);
  } catch (e) {
    onnxError = (e as Error).message;
  }
  return { detector: name, scores, gridScores, model, onnx, onnxError, fitSeconds, threshold: pipe.threshold ?? null };
}

/** The scaler step(s) for a choice: none, or a fresh scaler fitted inside the pipeline. */
export function scalerSteps(choice: ScalerChoice): Transformer[] {
  if (choice === 'standard') return [new StandardScaler()];
  if (choice === 'minmax') return [new MinMaxScaler()];
  return [];
}

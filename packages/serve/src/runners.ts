import { Pipeline, matrix, type Detector, type Matrix } from '@abc/core';
import { OnnxDetector } from '@abc/onnx-export';
import type { BatchRunResult } from './batcher.js';
import type { OutputArray } from './worker-protocol.js';
import type { ScoringPool } from './worker-pool.js';

/** An output tensor as the protocol names its type: `FP32` for scores, `INT64` for the 0/1 label. */
export interface TensorSpec {
  name: string;
  datatype: 'FP32' | 'INT64';
}

/**
 * What scores one model version: X float32 [rows, cols] in, every output of the model out (arrays of `rows`).
 * The dynamic batcher calls `run` with merged batches, at most `concurrency` at a time.
 */
export interface ModelRunner {
  /** `onnxruntime_onnx` (an ONNX file, scored in the worker pool) or `abc` (a saved model, scored in-process). */
  readonly platform: 'onnxruntime_onnx' | 'abc';
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | undefined;
  readonly outputs: readonly TensorSpec[];
  /** How many batches may run at once. */
  readonly concurrency: number;
  run(data: Float32Array, rows: number, cols: number): Promise<BatchRunResult>;
  close(): Promise<void>;
}

const ONNX_DATATYPES: Record<number, TensorSpec['datatype'] | undefined> = { 1: 'FP32', 7: 'INT64' };

/**
 * An exported ONNX model scored by onnxruntime-node in the worker pool. The bytes are checked first with
 * {@link OnnxDetector} (input `X` [N, D], a `score` output, the graph checksum). A batch longer than
 * `maxRowsPerRun` goes to the pool in runs of at most that many rows, the outputs joined back: by default the
 * automatic batch of the model (`OnnxDetector.effectiveBatchSize`: about 256 MiB of working memory per run for a
 * KNN, LOF, SVM, PReNet or XGBOD graph, whose intermediates grow with the rows it stores; 65,536 rows otherwise),
 * so one large request to a model without `max_batch_size` cannot take the server's memory in a single run.
 *
 * @example
 * const runner = await OnnxRunner.create(pool, 'fraud/1', bytes);
 * const { outputs } = await runner.run(X.data, X.rows, X.cols);   // { score, reconstruction_error?, label? }
 * runner.maxRowsPerRun;                                            // 4,271 for a KNN on 7,000 rows × 10 features
 */
export class OnnxRunner implements ModelRunner {
  readonly platform = 'onnxruntime_onnx' as const;
  private constructor(
    private readonly pool: ScoringPool,
    private readonly key: string,
    readonly nFeatures: number,
    readonly featureNames: readonly string[] | undefined,
    readonly outputs: readonly TensorSpec[],
    /** The most rows one run of the pool gets. */
    readonly maxRowsPerRun: number,
  ) {}

  get concurrency(): number {
    return this.pool.size;
  }

  static async create(
    pool: ScoringPool,
    key: string,
    bytes: Uint8Array,
    options: { maxRowsPerRun?: number } = {},
  ): Promise<OnnxRunner> {
    const det = new OnnxDetector().setModel(bytes);
    const maxRowsPerRun = options.maxRowsPerRun ?? det.effectiveBatchSize!;
    if (!Number.isInteger(maxRowsPerRun) || maxRowsPerRun < 1)
      throw new RangeError(`maxRowsPerRun must be a positive integer, got ${maxRowsPerRun}`);
    const outputs: TensorSpec[] = [];
    for (const o of det.info.outputs) {
      const datatype = ONNX_DATATYPES[o.elemType];
      if (datatype) outputs.push({ name: o.name, datatype });
    }
    await pool.load(key, bytes);
    return new OnnxRunner(pool, key, det.nFeatures!, det.featureNames, outputs, maxRowsPerRun);
  }

  async run(data: Float32Array, rows: number, cols: number): Promise<BatchRunResult> {
    const names = this.outputs.map((o) => o.name);
    if (rows <= this.maxRowsPerRun) return this.pool.run(this.key, data, rows, cols, names);
    // One run after another (not in parallel: the point is to bound the memory of a run), joined back in order.
    const parts: BatchRunResult[] = [];
    for (let s = 0; s < rows; s += this.maxRowsPerRun) {
      const n = Math.min(this.maxRowsPerRun, rows - s);
      parts.push(await this.pool.run(this.key, data.subarray(s * cols, (s + n) * cols), n, cols, names));
    }
    return joinRuns(parts, rows);
  }

  close(): Promise<void> {
    return this.pool.unload(this.key);
  }
}

/** The outputs of consecutive runs as one result (each output concatenated in run order; times added). */
function joinRuns(parts: readonly BatchRunResult[], rows: number): BatchRunResult {
  const outputs: Record<string, OutputArray> = {};
  for (const name of Object.keys(parts[0].outputs)) {
    const first = parts[0].outputs[name];
    const joined = first instanceof BigInt64Array ? new BigInt64Array(rows) : new Float32Array(rows);
    let at = 0;
    for (const p of parts) {
      const part = p.outputs[name];
      (joined as Float32Array).set(part as Float32Array, at);
      at += part.length;
    }
    outputs[name] = joined;
  }
  return {
    outputs,
    inferMs: parts.reduce((t, p) => t + (p.inferMs ?? 0), 0),
    outputMs: parts.reduce((t, p) => t + (p.outputMs ?? 0), 0),
  };
}

type WithReconstruction = { reconstructionError(X: Matrix): Promise<Float32Array> };
function hasReconstruction(d: unknown): d is WithReconstruction {
  return typeof (d as Partial<WithReconstruction>).reconstructionError === 'function';
}

/**
 * A saved model (`model.abc`, loaded through the registry) scored in-process on the main thread, one batch at a
 * time: `score`, `reconstruction_error` where the detector has one (autoencoders), and `label` (score > threshold)
 * where it has a threshold.
 *
 * @example
 * const runner = new DetectorRunner(await loadFile('model.abc'));
 */
export class DetectorRunner implements ModelRunner {
  readonly platform = 'abc' as const;
  readonly concurrency = 1;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | undefined;
  readonly outputs: readonly TensorSpec[];
  private readonly reconstruction: ((X: Matrix) => Promise<Float32Array>) | undefined;

  constructor(private readonly detector: Detector) {
    if (!detector.fitted || detector.nFeatures === undefined)
      throw new TypeError(`the saved ${detector.name} model is not fitted`);
    this.nFeatures = detector.nFeatures;
    this.featureNames = detector.featureNames;
    if (detector instanceof Pipeline && hasReconstruction(detector.detector)) {
      const inner = detector.detector;
      this.reconstruction = (X) => inner.reconstructionError(detector.transform(X));
    } else if (hasReconstruction(detector)) {
      this.reconstruction = (X) => detector.reconstructionError(X);
    }
    const outputs: TensorSpec[] = [{ name: 'score', datatype: 'FP32' }];
    if (this.reconstruction) outputs.push({ name: 'reconstruction_error', datatype: 'FP32' });
    if (detector.threshold !== undefined) outputs.push({ name: 'label', datatype: 'INT64' });
    this.outputs = outputs;
  }

  async run(data: Float32Array, rows: number, cols: number): Promise<BatchRunResult> {
    const t0 = performance.now();
    const X = matrix(data, rows, cols);
    const score = await this.detector.scoreSamples(X);
    const out: Record<string, OutputArray> = { score };
    if (this.reconstruction) out.reconstruction_error = await this.reconstruction(X);
    const t1 = performance.now();
    const t = this.detector.threshold;
    if (t !== undefined) {
      const label = new BigInt64Array(rows);
      for (let i = 0; i < rows; i++) label[i] = score[i] > t ? 1n : 0n;
      out.label = label;
    }
    return { outputs: out, inferMs: t1 - t0, outputMs: performance.now() - t1 };
  }

  async close(): Promise<void> {}
}

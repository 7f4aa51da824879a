/**
 * The messages between the page and the training worker. Arrays travel as transferable typed arrays.
 */
import type { ParamSpace, Params } from '@abc/core';

/** The scaler step of the pipeline: z-scores (default), min-max to [0, 1], or none. */
export type ScalerChoice = 'standard' | 'minmax' | 'none';

/** A detector to fit, by registry name; `params` add to (or override) the ones from the job's settings. */
export interface DetectorRequest {
  name: string;
  params?: Params;
}

/** One fitting job: the whole file's features, the labels and training rows, the detectors to compare. */
export interface FitJob {
  X: Float32Array;
  rows: number;
  cols: number;
  featureNames: string[];
  /** 1 = anomaly; null when the file has no labels. */
  labels: Uint8Array | null;
  /** Row indices to fit on (the rest, and the unknown anomalies, are held out). */
  train: Uint32Array;
  detectors: DetectorRequest[];
  /** Epoch budget of the networks and the seed of every detector (see `detectorParams`). */
  settings: { epochs: number; seed: number };
  /** The scaler in front of every detector (inside the exported model too). */
  scaler: ScalerChoice;
  /** Extra rows to score after fitting (the heatmap's grid), `[gridRows, cols]` row-major. */
  grid: Float32Array | null;
}

/** A registered detector, as the worker reports it. */
export interface DetectorInfo {
  name: string;
  supervision: 'supervised' | 'unsupervised';
  description: string;
  /** Its declared parameters (plain data), for the page's parameter controls and their validation. */
  paramSpace: ParamSpace;
}

/** What one fitted detector gives back. */
export interface DetectorResult {
  detector: string;
  /** A score for every row of the file (higher = more anomalous). */
  scores: Float32Array;
  gridScores: Float32Array | null;
  /** The fitted pipeline (the scaler then the detector) as core's `serialize` bytes (`.abc`). */
  model: Uint8Array;
  /** The same pipeline as ONNX (`toOnnx`, scaler inside), or null with the reason in `onnxError`. */
  onnx: Uint8Array | null;
  onnxError: string | null;
  fitSeconds: number;
  /** The threshold the detector set (score > threshold is flagged), if any. */
  threshold: number | null;
}

/** Page → worker. */
export type WorkerRequest = { type: 'fit'; job: FitJob } | { type: 'cancel' };

/** Worker → page. */
export type WorkerEvent =
  | { type: 'ready'; kernel: string; detectors: DetectorInfo[] }
  | { type: 'start'; detector: string; index: number; total: number }
  | {
      type: 'progress';
      detector: string;
      index: number;
      step: number;
      totalSteps: number;
      unit: string;
      metrics: Record<string, number>;
    }
  | { type: 'result'; result: DetectorResult }
  | { type: 'done' }
  | { type: 'cancelled' }
  | { type: 'error'; detector: string | null; name: string; message: string };

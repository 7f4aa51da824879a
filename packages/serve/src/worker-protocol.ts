/**
 * The messages between the main thread and a scoring worker (`ort-worker.mjs`): types only, shared by both
 * sides. Tensors travel as transferred typed arrays (no copy).
 */

/** Starts an onnxruntime session for `key` (a model version) from the ONNX bytes. */
export interface LoadMessage {
  type: 'load';
  id: number;
  key: string;
  bytes: Uint8Array;
  /** onnxruntime's intraOpNumThreads for the session. */
  threads: number;
}

/** Runs the session of `key` on X float32 [rows, cols], fetching `outputs`. */
export interface RunMessage {
  type: 'run';
  id: number;
  key: string;
  data: Float32Array;
  rows: number;
  cols: number;
  outputs: string[];
}

/** Releases the session of `key`. */
export interface UnloadMessage {
  type: 'unload';
  id: number;
  key: string;
}

export type WorkerRequest = LoadMessage | RunMessage | UnloadMessage;

/** One output tensor of a run: float32 (`score`, `reconstruction_error`) or int64 (`label`). */
export type OutputArray = Float32Array | BigInt64Array;

export type WorkerReply =
  | {
      id: number;
      ok: true;
      outputs?: Record<string, OutputArray>;
      /** `session.run`, in ms (a run's reply). */
      inferMs?: number;
      /** Copying the outputs into transferable arrays, in ms (a run's reply). */
      outputMs?: number;
    }
  | { id: number; ok: false; message: string };

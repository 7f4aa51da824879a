/**
 * Per model version statistics in the shape of Triton's statistics extension (`GET v2/models[/NAME[/versions/V]]/stats`):
 * cumulative counts and durations measured by the server itself, from the requests it answered and the runs the
 * dynamic batcher made.
 */

/** `$duration_stat`: how many times, and their total duration in nanoseconds. */
export interface DurationStat {
  count: number;
  ns: number;
}

/** `$inference_stats`. */
export interface InferenceStats {
  success: DurationStat;
  fail: DurationStat;
  queue: DurationStat;
  compute_input: DurationStat;
  compute_infer: DurationStat;
  compute_output: DurationStat;
  cache_hit: DurationStat;
}

/** `$batch_stat`: the runs made with one batch size (rows). */
export interface BatchStat {
  batch_size: number;
  compute_input: DurationStat;
  compute_infer: DurationStat;
  compute_output: DurationStat;
}

/** `$model_stat`. */
export interface ModelStat {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: InferenceStats;
  batch_stats: BatchStat[];
}

/** `$stats_model_response`. */
export interface ModelStatsResponse {
  model_stats: ModelStat[];
}

/** One run of the model as the batcher saw it, durations in milliseconds. */
export interface ExecutionRecord {
  /** Rows in the run (the batch size). */
  rows: number;
  /** How long each request of the run waited in the queue. */
  queueMs: readonly number[];
  /** Preparing the input: merging the requests, handing the batch to a worker and making the tensor. */
  inputMs: number;
  /** The model's run (onnxruntime's `session.run`, or the detector's scoring). */
  inferMs: number;
  /** Taking the outputs out and back, and splitting them per request. */
  outputMs: number;
}

const stat = (): DurationStat => ({ count: 0, ns: 0 });
const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

function add(s: DurationStat, ms: number, count = 1): void {
  s.count += count;
  s.ns += ns(ms) * count;
}

/**
 * The statistics of one model version, as Triton defines them: `inference_count` counts rows of successful
 * requests, `execution_count` model runs; `success`/`fail` count requests with their whole time in the server
 * (from arrival to the answer); `queue` and `compute_*` count, per request, its wait in the batcher's queue and the
 * durations of the run it was part of; `batch_stats` count runs per batch size (rows) with their durations.
 * `cache_hit` stays zero (there is no response cache).
 *
 * @example
 * const stats = new ModelStats('fraud', '1');
 * stats.recordExecution({ rows: 3, queueMs: [0.2, 0.1], inputMs: 0.01, inferMs: 0.3, outputMs: 0.02 });
 * stats.recordSuccess(2, 0.9);
 * stats.recordSuccess(1, 0.8);
 * stats.toJSON().execution_count;   // 1
 */
export class ModelStats {
  private inferenceCount = 0;
  private executionCount = 0;
  private lastInference = 0;
  private readonly inference: InferenceStats = {
    success: stat(),
    fail: stat(),
    queue: stat(),
    compute_input: stat(),
    compute_infer: stat(),
    compute_output: stat(),
    cache_hit: stat(),
  };
  private readonly batches = new Map<number, BatchStat>();

  constructor(
    readonly name: string,
    readonly version: string,
  ) {}

  /** A successful run of `rows` rows merged from `queueMs.length` requests. */
  recordExecution(e: ExecutionRecord): void {
    this.executionCount++;
    let b = this.batches.get(e.rows);
    if (!b) {
      b = { batch_size: e.rows, compute_input: stat(), compute_infer: stat(), compute_output: stat() };
      this.batches.set(e.rows, b);
    }
    add(b.compute_input, e.inputMs);
    add(b.compute_infer, e.inferMs);
    add(b.compute_output, e.outputMs);
    const s = this.inference;
    for (const q of e.queueMs) add(s.queue, q);
    add(s.compute_input, e.inputMs, e.queueMs.length);
    add(s.compute_infer, e.inferMs, e.queueMs.length);
    add(s.compute_output, e.outputMs, e.queueMs.length);
  }

  /** A request of `rows` rows answered with its scores after `totalMs` in the server. */
  recordSuccess(rows: number, totalMs: number): void {
    this.inferenceCount += rows;
    add(this.inference.success, totalMs);
    this.lastInference = Date.now();
  }

  /** A request for this version answered with an error (bad input, full queue, failed run) after `totalMs`. */
  recordFailure(totalMs: number): void {
    add(this.inference.fail, totalMs);
    this.lastInference = Date.now();
  }

  /** A copy in the JSON shape of Triton's `$model_stat`, batch sizes ascending. */
  toJSON(): ModelStat {
    const copy = (s: DurationStat): DurationStat => ({ count: s.count, ns: s.ns });
    const inference = Object.fromEntries(
      Object.entries(this.inference).map(([k, v]) => [k, copy(v)]),
    ) as unknown as InferenceStats;
    return {
      name: this.name,
      version: this.version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: inference,
      batch_stats: [...this.batches.values()]
        .sort((a, b) => a.batch_size - b.batch_size)
        .map((b) => ({
          batch_size: b.batch_size,
          compute_input: copy(b.compute_input),
          compute_infer: copy(b.compute_infer),
          compute_output: copy(b.compute_output),
        })),
    };
  }
}

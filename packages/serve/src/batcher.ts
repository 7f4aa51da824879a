import { performance } from 'node:perf_hooks';
import { QueueFullError, UnavailableError } from './errors.js';
import type { ExecutionRecord } from './stats.js';
import type { OutputArray } from './worker-protocol.js';

/** What a run gives back: every output (arrays of `rows` values) and, where the runner measures them, its timings. */
export interface BatchRunResult {
  outputs: Record<string, OutputArray>;
  /** The model's own run, in ms (onnxruntime's `session.run`). */
  inferMs?: number;
  /** Taking the outputs out of the runtime, in ms. */
  outputMs?: number;
}

/** The part of a model runner the batcher uses. */
export interface BatchRunner {
  readonly concurrency: number;
  run(data: Float32Array, rows: number, cols: number): Promise<BatchRunResult>;
}

export interface BatcherOptions {
  /** The model's name, for error messages. */
  name: string;
  /** Most rows merged into one run (Triton's max_batch_size). A request with more rows runs alone. */
  maxBatchSize: number;
  /**
   * How long the oldest waiting request may wait for others to merge with (Triton's max_queue_delay). Node's timers
   * count whole milliseconds: a delay under 1 ms waits one turn of the event loop (requests already received join).
   */
  maxQueueDelayMs: number;
  /**
   * Triton's preferred_batch_size: while the oldest request may still wait, a batch of exactly one of these many
   * rows (whole requests, in arrival order) is dispatched at once, the largest that can be formed. Default none.
   */
  preferredBatchSizes?: readonly number[];
  /** Most requests waiting (not yet running); one more is refused with {@link QueueFullError} (503). */
  maxQueueSize: number;
  /** Called for every run with its rows and the number of requests merged into it. */
  onBatch?: (rows: number, requests: number) => void;
  /** Called whenever the number of waiting requests changes. */
  onQueueDepth?: (depth: number) => void;
  /** Called after every successful run with its batch size, each request's wait and the run's timings. */
  onExecution?: (e: ExecutionRecord) => void;
}

interface Pending {
  data: Float32Array;
  rows: number;
  at: number;
  resolve: (out: Record<string, OutputArray>) => void;
  reject: (e: unknown) => void;
}

/**
 * Triton-style dynamic batching for one model version: concurrent requests wait in a queue and are merged into
 * one `[N, D]` run of at most `maxBatchSize` rows, dispatched when the batch is full, when a preferred batch size
 * can be formed, when the oldest request has waited `maxQueueDelayMs`, and only while the runner has a free slot
 * (so under load, batches grow while the workers are busy). The outputs are split back per request.
 *
 * @example
 * const batcher = new DynamicBatcher(runner, 2, { name: 'fraud', maxBatchSize: 256, maxQueueDelayMs: 1, maxQueueSize: 1024 });
 * const { score } = await batcher.submit(new Float32Array([0.1, 0.2]), 1);
 */
export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly preferred: number[];
  private closing = false;
  private hurrying = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly runner: BatchRunner,
    private readonly cols: number,
    private readonly options: BatcherOptions,
  ) {
    this.preferred = [...new Set(options.preferredBatchSizes ?? [])]
      .filter((p) => p <= options.maxBatchSize)
      .sort((a, b) => b - a);
  }

  /** Requests waiting (not yet running). */
  get depth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Queues `rows` rows of X (row-major, `rows * cols` values); resolves to this request's slice of every output. */
  submit(data: Float32Array, rows: number): Promise<Record<string, OutputArray>> {
    if (this.closing) return Promise.reject(new UnavailableError(`model "${this.options.name}" is being unloaded; retry`));
    if (this.queue.length >= this.options.maxQueueSize)
      return Promise.reject(new QueueFullError(this.options.name, this.options.maxQueueSize));
    return new Promise((resolve, reject) => {
      this.queue.push({ data, rows, at: performance.now(), resolve, reject });
      this.queuedRows += rows;
      this.options.onQueueDepth?.(this.queue.length);
      this.schedule();
    });
  }

  /**
   * From now on, dispatches without waiting for the queue delay or a preferred batch size (still taking requests):
   * at shutdown, requests already received are answered at once instead of after the delay.
   */
  hurry(): void {
    this.hurrying = true;
    this.schedule();
  }

  /** Stops taking requests and resolves once every queued and running one is answered. */
  drain(): Promise<void> {
    this.closing = true;
    this.schedule();
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** The largest preferred batch size that whole queued requests, taken in order, add up to exactly. */
  private preferredFit(): number | undefined {
    if (this.preferred.length === 0) return undefined;
    const largest = this.preferred[0];
    const sums = new Set<number>();
    let sum = 0;
    for (const p of this.queue) {
      sum += p.rows;
      if (sum > largest) break;
      sums.add(sum);
    }
    return this.preferred.find((p) => sums.has(p));
  }

  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.running < this.runner.concurrency) {
      const wait = this.queue[0].at + this.options.maxQueueDelayMs - performance.now();
      if (!this.closing && !this.hurrying && this.queuedRows < this.options.maxBatchSize && (wait > 0 || this.immediate)) {
        const preferred = this.preferredFit();
        if (preferred !== undefined) {
          this.dispatch(preferred);
          continue;
        }
        // A turn of the event loop is pending (a sub-millisecond delay): it dispatches what has come by then.
        if (this.immediate) return;
        if (wait >= 1) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, wait);
        } else {
          this.immediate = setImmediate(() => {
            this.immediate = undefined;
            if (this.queue.length > 0 && this.running < this.runner.concurrency) this.dispatch(this.options.maxBatchSize);
            this.schedule();
          });
        }
        return;
      }
      this.dispatch(this.options.maxBatchSize);
    }
    if (this.closing && this.queue.length === 0 && this.running === 0 && this.drained) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }

  private dispatch(limit: number): void {
    const t0 = performance.now();
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows <= limit)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    this.options.onQueueDepth?.(this.queue.length);
    this.options.onBatch?.(rows, batch.length);
    const queueMs = batch.map((p) => t0 - p.at);
    let data: Float32Array;
    if (batch.length === 1) {
      data = batch[0].data;
    } else {
      data = new Float32Array(rows * this.cols);
      let at = 0;
      for (const p of batch) {
        data.set(p.data, at);
        at += p.data.length;
      }
    }
    this.running++;
    this.runner
      .run(data, rows, this.cols)
      .then(
        (result) => {
          const t2 = performance.now();
          let offset = 0;
          const parts: Record<string, OutputArray>[] = [];
          for (const p of batch) {
            const mine: Record<string, OutputArray> = {};
            for (const [name, arr] of Object.entries(result.outputs)) mine[name] = arr.subarray(offset, offset + p.rows);
            offset += p.rows;
            parts.push(mine);
          }
          const t3 = performance.now();
          if (this.options.onExecution) {
            // The run as the runner timed it; the rest of dispatch-to-split (merging, the hand-off to a worker and
            // back) counts as preparing the input.
            const inferMs = result.inferMs ?? t2 - t0;
            const outputMs = (result.outputMs ?? 0) + (t3 - t2);
            const inputMs = Math.max(0, t3 - t0 - inferMs - outputMs);
            this.options.onExecution({ rows, queueMs, inputMs, inferMs, outputMs });
          }
          for (let i = 0; i < batch.length; i++) batch[i].resolve(parts[i]);
        },
        (e: unknown) => {
          for (const p of batch) p.reject(e);
        },
      )
      .finally(() => {
        this.running--;
        this.schedule();
      });
  }
}

import { performance } from 'node:perf_hooks';
import { QueueFullError, UnavailableError } from './errors.js';
import type { OutputArray } from './worker-protocol.js';

/** The part of a model runner the batcher uses. */
export interface BatchRunner {
  readonly concurrency: number;
  run(data: Float32Array, rows: number, cols: number): Promise<Record<string, OutputArray>>;
}

export interface BatcherOptions {
  /** The model's name, for error messages. */
  name: string;
  /** Most rows merged into one run (Triton's max_batch_size). A request with more rows runs alone. */
  maxBatchSize: number;
  /** How long the oldest waiting request may wait for others to merge with (Triton's max_queue_delay). */
  maxQueueDelayMs: number;
  /** Most requests waiting (not yet running); one more is refused with {@link QueueFullError} (503). */
  maxQueueSize: number;
  /** Called for every run with its rows and the number of requests merged into it. */
  onBatch?: (rows: number, requests: number) => void;
  /** Called whenever the number of waiting requests changes. */
  onQueueDepth?: (depth: number) => void;
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
 * one `[N, D]` run of at most `maxBatchSize` rows, dispatched when the batch is full, when the oldest request
 * has waited `maxQueueDelayMs`, and only while the runner has a free slot (so under load, batches grow while
 * the workers are busy). The outputs are split back per request.
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
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly runner: BatchRunner,
    private readonly cols: number,
    private readonly options: BatcherOptions,
  ) {}

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

  /** Stops taking requests and resolves once every queued and running one is answered. */
  drain(): Promise<void> {
    this.closing = true;
    this.schedule();
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.running < this.runner.concurrency) {
      const wait = this.queue[0].at + this.options.maxQueueDelayMs - performance.now();
      if (!this.closing && this.queuedRows < this.options.maxBatchSize && wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.schedule();
        }, wait);
        return;
      }
      this.dispatch();
    }
    if (this.closing && this.queue.length === 0 && this.running === 0 && this.drained) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }

  private dispatch(): void {
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows <= this.options.maxBatchSize)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    this.options.onQueueDepth?.(this.queue.length);
    this.options.onBatch?.(rows, batch.length);
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
        (out) => {
          let offset = 0;
          for (const p of batch) {
            const mine: Record<string, OutputArray> = {};
            for (const [name, arr] of Object.entries(out)) mine[name] = arr.subarray(offset, offset + p.rows);
            offset += p.rows;
            p.resolve(mine);
          }
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

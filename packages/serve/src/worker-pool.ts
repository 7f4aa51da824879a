import { Worker } from 'node:worker_threads';
import type { BatchRunResult } from './batcher.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/** What scores ONNX models for the server: {@link WorkerPool} (worker threads) or {@link InlinePool} (the main thread). */
export interface ScoringPool {
  /** How many batches may run at once. */
  readonly size: number;
  load(key: string, bytes: Uint8Array): Promise<void>;
  unload(key: string): Promise<void>;
  run(key: string, data: Float32Array, rows: number, cols: number, outputs: readonly string[]): Promise<BatchRunResult>;
  close(): Promise<void>;
}

type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (r: BatchRunResult | undefined) => void; reject: (e: Error) => void }>;
  /** Rows sent and not yet answered (the load measure for picking a worker). */
  busy: number;
}

/**
 * A fixed set of worker threads, each holding an onnxruntime-node session per loaded model version, so that
 * inference runs off the event loop. Every model is loaded into every worker; a batch goes to the worker with
 * the fewest rows in flight.
 *
 * @example
 * const pool = new WorkerPool({ size: 2 });
 * await pool.load('fraud/1', onnxBytes);
 * const { outputs } = await pool.run('fraud/1', X.data, X.rows, X.cols, ['score']);   // outputs.score: Float32Array
 * await pool.close();
 */
export class WorkerPool implements ScoringPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;
  readonly threadsPerWorker: number;

  constructor(options: { size: number; threadsPerWorker?: number }) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`workers must be a positive integer, got ${options.size}`);
    this.threadsPerWorker = options.threadsPerWorker ?? 1;
    for (let i = 0; i < options.size; i++) this.workers.push(this.spawn());
  }

  /** The number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  private spawn(): PoolWorker {
    const worker = new Worker(new URL('./ort-worker.mjs', import.meta.url));
    const w: PoolWorker = { worker, pending: new Map(), busy: 0 };
    worker.on('message', (reply: WorkerReply) => {
      const p = w.pending.get(reply.id);
      if (!p) return;
      w.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.outputs && { outputs: reply.outputs, inferMs: reply.inferMs, outputMs: reply.outputMs });
      else p.reject(new Error(reply.message));
    });
    const failAll = (e: Error) => {
      for (const p of w.pending.values()) p.reject(e);
      w.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      failAll(new Error(`a scoring worker exited (code ${code})`));
      // Replace a worker that died while the pool is in use, so one crash does not shrink it for good.
      if (!this.closed) {
        const i = this.workers.indexOf(w);
        if (i >= 0) this.workers[i] = this.spawn();
      }
    });
    return w;
  }

  private send(
    w: PoolWorker,
    msg: Distributive<WorkerRequest>,
    transfer: ArrayBuffer[] = [],
  ): Promise<BatchRunResult | undefined> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.worker.postMessage({ ...msg, id } as WorkerRequest, transfer);
    });
  }

  /** Starts a session for `key` in every worker (the bytes are copied to each). */
  async load(key: string, bytes: Uint8Array): Promise<void> {
    await Promise.all(this.workers.map((w) => this.send(w, { type: 'load', key, bytes, threads: this.threadsPerWorker })));
  }

  /** Releases the sessions of `key`. */
  async unload(key: string): Promise<void> {
    await Promise.all(this.workers.map((w) => this.send(w, { type: 'unload', key }).catch(() => undefined)));
  }

  /**
   * Runs `key` on X float32 [rows, cols] in the least busy worker. `data` is transferred (it is unusable
   * afterwards); the outputs come back as arrays of `rows` values, with the worker's timings of the run.
   */
  async run(key: string, data: Float32Array, rows: number, cols: number, outputs: readonly string[]): Promise<BatchRunResult> {
    let w = this.workers[0];
    for (const c of this.workers) if (c.busy < w.busy) w = c;
    w.busy += rows;
    try {
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      const out = await this.send(w, { type: 'run', key, data: own, rows, cols, outputs: [...outputs] }, [
        own.buffer as ArrayBuffer,
      ]);
      if (!out) throw new Error('the worker returned no outputs');
      return out;
    } finally {
      w.busy -= rows;
    }
  }

  /** Terminates the workers (pending runs are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/**
 * onnxruntime-node sessions on the main thread (`workers: 0`): one batch at a time, run on the event loop, with no
 * hand-off to a worker thread and back. Each hand-off wakes another thread twice, which costs more CPU than a small
 * batch of a small model; the price is that the event loop is blocked while a batch runs (requests arriving then
 * are read afterwards, and merge into the next batch).
 *
 * @example
 * const pool = new InlinePool();
 * await pool.load('fraud/1', onnxBytes);
 * const { outputs } = await pool.run('fraud/1', X.data, X.rows, X.cols, ['score']);
 */
export class InlinePool implements ScoringPool {
  readonly size = 1;
  readonly threadsPerWorker: number;
  // The module the workers run too; imported by URL, as the workers' file is (plain JavaScript, typed through JSDoc).
  private readonly handle: Promise<(msg: WorkerRequest) => Promise<WorkerReply>> = import(
    new URL('./ort-sessions.mjs', import.meta.url).href
  ).then((m: { sessionHost: () => (msg: WorkerRequest) => Promise<WorkerReply> }) => m.sessionHost());
  private readonly keys = new Set<string>();
  private nextId = 1;
  private closed = false;

  constructor(options: { threadsPerWorker?: number } = {}) {
    this.threadsPerWorker = options.threadsPerWorker ?? 1;
  }

  private async send(msg: Distributive<WorkerRequest>): Promise<BatchRunResult | undefined> {
    if (this.closed) throw new Error('the scoring pool is closed');
    const handle = await this.handle;
    const reply = await handle({ ...msg, id: this.nextId++ } as WorkerRequest);
    if (!reply.ok) throw new Error(reply.message);
    return reply.outputs && { outputs: reply.outputs, inferMs: reply.inferMs, outputMs: reply.outputMs };
  }

  async load(key: string, bytes: Uint8Array): Promise<void> {
    await this.send({ type: 'load', key, bytes, threads: this.threadsPerWorker });
    this.keys.add(key);
  }

  async unload(key: string): Promise<void> {
    this.keys.delete(key);
    await this.send({ type: 'unload', key }).catch(() => undefined);
  }

  async run(key: string, data: Float32Array, rows: number, cols: number, outputs: readonly string[]): Promise<BatchRunResult> {
    const out = await this.send({ type: 'run', key, data, rows, cols, outputs: [...outputs] });
    if (!out) throw new Error('the session returned no outputs');
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Releases the sessions still held (the models unload theirs first; these are what is left).
    await Promise.all([...this.keys].map((key) => this.unload(key)));
    this.closed = true;
  }
}

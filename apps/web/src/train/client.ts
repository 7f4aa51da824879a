import type { FitJob, WorkerEvent } from './protocol.js';

/** How long a cancelled worker may take to acknowledge before it is terminated and replaced. */
export const CANCEL_GRACE_MS = 300;

/**
 * The page's handle on the training worker. `fit` posts a job and streams the worker's events to `onEvent`;
 * `cancel` aborts the fit through the worker's AbortSignal and, if the worker does not answer within
 * {@link CANCEL_GRACE_MS} (a fit between safe points), terminates it and starts a fresh one, so a cancel always
 * lands within a second.
 */
export class TrainingClient {
  private worker: Worker;
  private running = false;
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly onEvent: (event: WorkerEvent) => void) {
    this.worker = this.spawn();
  }

  /** Whether a job is running. */
  get busy(): boolean {
    return this.running;
  }

  /** Starts a job (its arrays are transferred to the worker). */
  fit(job: FitJob): void {
    this.running = true;
    const transfer: Transferable[] = [job.X.buffer as ArrayBuffer, job.train.buffer as ArrayBuffer];
    if (job.grid) transfer.push(job.grid.buffer as ArrayBuffer);
    this.worker.postMessage({ type: 'fit', job }, transfer);
  }

  /** Stops the running job; the `cancelled` event follows. */
  cancel(): void {
    if (!this.running) return;
    this.worker.postMessage({ type: 'cancel' });
    this.cancelTimer ??= setTimeout(() => {
      this.worker.terminate();
      this.worker = this.spawn();
      this.finish({ type: 'cancelled' });
    }, CANCEL_GRACE_MS);
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'abc-training' });
    w.onmessage = (e: MessageEvent<WorkerEvent>) => {
      if (w !== this.worker) return;
      const ev = e.data;
      if (ev.type === 'done' || ev.type === 'cancelled' || ev.type === 'error') this.finish(ev);
      else this.onEvent(ev);
    };
    w.onerror = (e) =>
      this.finish({
        type: 'error',
        detector: null,
        name: 'WorkerError',
        message: e.message || 'the training worker failed to start',
      });
    return w;
  }

  private finish(ev: WorkerEvent): void {
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    this.cancelTimer = null;
    const was = this.running;
    this.running = false;
    if (was || ev.type === 'error') this.onEvent(ev);
  }
}

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ValidationError } from '@abc/core';
import { Worker } from 'bullmq';
import { DEFAULT_QUEUE_NAME, redisOptions } from './connection.js';
import type { JobData } from './jobs.js';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** `redis://HOST:PORT[/DB]` or `rediss://` (TLS), with a password where Redis asks for one. */
  queueUrl: string;
  /** Jobs run at once, each in its own child process (default 1). */
  concurrency?: number;
  /** Data folder of the paper's datasets (default env ABC_DATA_DIR, else the cache folder); missing ones are fetched. */
  dataDir?: string;
  /**
   * Plugin modules that register detectors (absolute file paths, as `abc worker --plugin` resolves them, or
   * package names that resolve from this package): each job's child process imports them after the built-in
   * detectors. A job whose detector is registered by none fails once, naming it and the `--plugin` flag.
   */
  plugins?: readonly string[];
  queueName?: string;
  /** Lock of a running job (default 30,000 ms): a worker that stops renewing it loses the job to another. */
  lockDuration?: number;
  /** How often stalled jobs (of dead workers) are looked for (default 30,000 ms). */
  stalledInterval?: number;
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports. */
export type WorkerEvent =
  | { type: 'active'; id: string; kind: string }
  | { type: 'completed'; id: string; kind: string; seconds: number }
  | { type: 'failed'; id: string; kind: string; attemptsMade: number; willRetry: boolean; reason: string }
  | { type: 'error'; message: string };

/** A running worker. */
export interface QueueWorker {
  /** Waits for the running jobs to finish, then disconnects. */
  close(): Promise<void>;
  /** Resolves when the worker has connected. */
  ready: Promise<void>;
}

/**
 * The processor file and the flags its child process needs: run from source (a `.ts` file), the child loads
 * TypeScript through tsx and resolves workspace packages to their sources, as `pnpm abc` does.
 */
function processorFile(): { file: string; execArgv?: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSource ? './processor.ts' : './processor.js', import.meta.url));
  if (!fromSource) return { file };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file, execArgv: ['--import', tsx, '--conditions=@abc/source'] };
}

/**
 * Starts a worker: takes jobs of the queue (a reproduction's runs, a search's configurations, a benchmark's
 * fits) and runs each in a
 * child process (BullMQ's sandboxed processors), `concurrency` at a time. Results go back through Redis to the
 * submitter, which records them.
 *
 * @example
 * const worker = await startWorker({ queueUrl: 'redis://127.0.0.1:6379', concurrency: 2 });
 * process.on('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: StartWorkerOptions): Promise<QueueWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new ValidationError('param', `concurrency must be a positive integer, got ${concurrency}`);
  const connection = redisOptions(options.queueUrl);
  const { file, execArgv } = processorFile();
  const started = new Map<string, number>();
  const worker = new Worker<JobData>(options.queueName ?? DEFAULT_QUEUE_NAME, file, {
    connection,
    concurrency,
    useWorkerThreads: false,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: 2,
    workerForkOptions: {
      ...(execArgv ? { execArgv } : {}),
      env: {
        ...process.env,
        ABC_QUEUE_URL: options.queueUrl,
        ABC_QUEUE_DATA_DIR: options.dataDir ?? '',
        ABC_QUEUE_PLUGINS: JSON.stringify(options.plugins ?? []),
      },
    },
  });
  const emit = options.onEvent ?? (() => undefined);
  worker.on('error', (e) => emit({ type: 'error', message: e.message }));
  worker.on('active', (job) => {
    started.set(job.id!, performance.now());
    emit({ type: 'active', id: job.id!, kind: job.name });
  });
  worker.on('completed', (job) => {
    const t0 = started.get(job.id!) ?? performance.now();
    started.delete(job.id!);
    emit({ type: 'completed', id: job.id!, kind: job.name, seconds: (performance.now() - t0) / 1000 });
  });
  worker.on('failed', (job, e) => {
    if (!job) return;
    started.delete(job.id!);
    const attempts = job.opts.attempts ?? 1;
    const willRetry = e.name !== 'UnrecoverableError' && job.attemptsMade < attempts;
    emit({ type: 'failed', id: job.id!, kind: job.name, attemptsMade: job.attemptsMade, willRetry, reason: e.message });
  });
  return { ready: worker.waitUntilReady().then(() => undefined), close: () => worker.close() };
}

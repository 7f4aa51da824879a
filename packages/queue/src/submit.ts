import { AbortError, throwIfAborted } from '@abc/core';
import { Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { DEFAULT_QUEUE_NAME, redisOptions, safeUrl } from './connection.js';
import type { JobData } from './jobs.js';

/** A job to run: its stable id (`jobId`) and data. */
export interface QueuedJob<D extends JobData = JobData> {
  id: string;
  data: D;
}

/** Progress of {@link runQueued}. */
export type QueueProgress =
  | { type: 'enqueued'; enqueued: number; skipped: number; total: number }
  | { type: 'finished'; id: string; done: number; total: number }
  | { type: 'failed'; id: string; reason: string; done: number; total: number };

/** How a job is retried: a crash (a killed or failing worker) reruns with exponential backoff, 3 attempts in all. */
export const JOB_OPTIONS: Readonly<Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>> =
  Object.freeze({
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    // The submitter removes a job after it has recorded the result; a failed one stays to be read and retried.
    removeOnComplete: false,
    removeOnFail: false,
  });

/** Options of {@link runQueued}. */
export interface RunQueuedOptions<D extends JobData, R> {
  /** `redis://HOST:PORT[/DB]` or `rediss://` (TLS), with a password where Redis asks for one. */
  queueUrl: string;
  jobs: readonly QueuedJob<D>[];
  /**
   * Records a finished job's result: called once per job id, and awaited before the job (and its result) is
   * removed from Redis, so a submitter that dies before recording collects the result when rerun.
   */
  onResult: (job: QueuedJob<D>, result: R) => Promise<void> | void;
  /**
   * Records a job that failed for good (bad input, or a crash on every attempt) and lets the others go on:
   * called once per job id and awaited before the job is removed from Redis (so a rerun enqueues it afresh).
   * Without it, such a job rejects `runQueued` with its {@link QueueJobError}.
   */
  onFailed?: (job: QueuedJob<D>, error: QueueJobError) => Promise<void> | void;
  /** Jobs already recorded (by an earlier run): not enqueued. */
  alreadyRecorded?: (job: QueuedJob<D>) => boolean;
  onProgress?: (event: QueueProgress) => void;
  /** Stops waiting (an AbortError); the jobs stay queued and a rerun collects them. */
  signal?: AbortSignal;
  /** Queue name (default `abc`). */
  queueName?: string;
  /** How often every pending job's state is checked besides the completion events (default 2,000 ms). */
  pollMs?: number;
}

/** What {@link runQueued} did. */
export interface RunQueuedResult {
  /** Jobs handed to the queue now (a job already there from an earlier run is collected, not added twice). */
  enqueued: number;
  /** Jobs recorded already (not enqueued). */
  skipped: number;
  /** Results recorded through `onResult`. */
  collected: number;
  /** Failures recorded through `onFailed`. */
  failed: number;
}

/** A job failed for good: bad input (no retry) or a crash on every attempt. */
export class QueueJobError extends Error {
  readonly jobId: string;
  readonly attemptsMade: number;
  /** The worker's message (for bad input, the error's name and message). */
  readonly reason: string;
  constructor(jobId: string, attemptsMade: number, reason: string) {
    super(`job ${jobId} failed after ${attemptsMade} attempt(s): ${reason}`);
    this.name = 'QueueJobError';
    this.jobId = jobId;
    this.attemptsMade = attemptsMade;
    this.reason = reason;
  }
}

/**
 * Enqueues the jobs not recorded yet (job ids are stable, so a job already queued is not added twice), waits for
 * them (completion events, and a poll that also survives a restart of Redis), hands each result to `onResult`
 * and then removes the job. A job that failed for good rejects with a {@link QueueJobError}; a job that failed in
 * an earlier run is retried.
 *
 * @example
 * await runQueued({
 *   queueUrl: 'redis://127.0.0.1:6379',
 *   jobs: tasks.map((data) => ({ id: jobId(specOf(data)), data })),
 *   onResult: async (job, result) => appendFile('runs.jsonl', `${JSON.stringify(result.record)}\n`),
 * });
 */
export async function runQueued<D extends JobData, R>(options: RunQueuedOptions<D, R>): Promise<RunQueuedResult> {
  const { signal } = options;
  throwIfAborted(signal);
  const recorded = options.jobs.filter((j) => options.alreadyRecorded?.(j)).length;
  if (recorded === options.jobs.length) return { enqueued: 0, skipped: recorded, collected: 0, failed: 0 };
  const connection = redisOptions(options.queueUrl);
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  // Both reconnect on their own after a lost connection; an 'error' without a listener would crash the process.
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  const pending = new Map<string, QueuedJob<D>>();
  const hot = new Set<string>();
  let wake: () => void = () => undefined;
  const onEvent = ({ jobId }: { jobId: string }) => {
    if (pending.has(jobId)) {
      hot.add(jobId);
      wake();
    }
  };
  events.on('completed', onEvent);
  events.on('failed', onEvent);
  const onAbort = () => wake();
  signal?.addEventListener('abort', onAbort);
  let collected = 0;
  let failed = 0;
  try {
    // An unreachable Redis is waited for (it may be restarting); Ctrl-C still stops the wait.
    let fail: () => void = () => undefined;
    try {
      await Promise.race([
        Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
        new Promise<never>((_, reject) => {
          fail = () => reject(new AbortError(`stopped waiting for Redis at ${safeUrl(options.queueUrl)}`));
          signal?.addEventListener('abort', fail, { once: true });
        }),
      ]);
    } finally {
      signal?.removeEventListener('abort', fail);
    }
    let skipped = 0;
    for (const job of options.jobs) {
      if (options.alreadyRecorded?.(job) || pending.has(job.id)) skipped++;
      else pending.set(job.id, job);
    }
    const total = pending.size;
    const enqueue = (jobs: QueuedJob<D>[]) =>
      queue.addBulk(jobs.map((j) => ({ name: j.data.kind, data: j.data, opts: { ...JOB_OPTIONS, jobId: j.id } })));
    // A job that failed for good in an earlier run is retried now; one still there otherwise is collected.
    for (const id of pending.keys()) {
      const job = await Job.fromId(queue, id);
      if (job && (await job.getState()) === 'failed')
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    await enqueue([...pending.values()]);
    options.onProgress?.({ type: 'enqueued', enqueued: total, skipped, total });

    const check = async (id: string) => {
      const queued = pending.get(id);
      if (!queued) return;
      const job = await Job.fromId(queue, id);
      if (!job) {
        // Gone without being recorded (Redis restarted without its data, or removed by hand): add it again.
        await enqueue([queued]);
        return;
      }
      const state = await job.getState();
      if (state === 'completed') {
        // Read it again: the copy above may predate the completion (its return value not yet written).
        const done = (await Job.fromId(queue, id)) ?? job;
        await options.onResult(queued, done.returnvalue as R);
        pending.delete(id);
        collected++;
        await job.remove();
        options.onProgress?.({ type: 'finished', id, done: collected + failed, total });
      } else if (state === 'failed') {
        // Likewise: the state and the failure reason are written together, the copy above may be older.
        const latest = (await Job.fromId(queue, id)) ?? job;
        const error = new QueueJobError(id, latest.attemptsMade, latest.failedReason ?? 'no reason recorded');
        if (!options.onFailed) throw error;
        await options.onFailed(queued, error);
        pending.delete(id);
        failed++;
        await job.remove();
        options.onProgress?.({ type: 'failed', id, reason: error.reason, done: collected + failed, total });
      }
    };
    let lastSweep = 0;
    const pollMs = options.pollMs ?? 2000;
    while (pending.size > 0) {
      throwIfAborted(signal);
      if (Date.now() - lastSweep >= pollMs) {
        lastSweep = Date.now();
        hot.clear();
        for (const id of [...pending.keys()]) await check(id);
      } else {
        const ids = [...hot];
        hot.clear();
        for (const id of ids) await check(id);
      }
      if (pending.size === 0 || hot.size > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(10, pollMs - (Date.now() - lastSweep)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => undefined;
    }
    return { enqueued: total, skipped, collected, failed };
  } catch (e) {
    if (signal?.aborted && !(e instanceof AbortError))
      throw new AbortError(`stopped waiting for the queue at ${safeUrl(options.queueUrl)}`, { cause: e });
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled([events.close(), queue.close()]);
  }
}

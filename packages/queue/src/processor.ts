/**
 * The sandboxed processor: BullMQ runs it in a child process of `abc worker`, so that training never blocks the
 * worker's lock renewal. Bad input (a ValidationError) fails the job once (UnrecoverableError); anything else
 * (a crash) is retried by the queue with backoff.
 *
 * The detectors (built-in, then the worker's `--plugin` modules, passed as file paths in ABC_QUEUE_PLUGINS) and
 * the job code are imported on the first job, not when the child starts: BullMQ 6 waits
 * forever for a child that dies while it starts, so that window is kept short; a child that dies during a job
 * fails that attempt, and the job is retried.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbcError } from '@abc/core';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import type { BenchmarkJobResult, JobData, ReproduceJobResult, SearchJobResult } from './jobs.js';

// A worker killed with SIGKILL leaves this child behind: stop with it rather than train for nobody.
process.on('disconnect', () => process.exit(1));

/** The worker's plugin modules: absolute paths (as `abc worker --plugin` resolved them) or package names. */
function plugins(): string[] {
  const text = process.env.ABC_QUEUE_PLUGINS;
  if (!text) return [];
  const list = JSON.parse(text) as unknown;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

/** Runs one job in the child process. */
export default async function processJob(
  job: SandboxedJob<JobData>,
): Promise<ReproduceJobResult | SearchJobResult | BenchmarkJobResult> {
  process.stderr.write(`job ${job.id}: running in process ${process.pid}\n`);
  try {
    await Promise.all([import('@abc/models'), import('@abc/baselines')]);
    for (const p of plugins()) await import(isAbsolute(p) ? pathToFileURL(p).href : p);
    const { executeJob } = await import('./execute.js');
    return await executeJob(job.data, {
      queueUrl: process.env.ABC_QUEUE_URL ?? '',
      dataDir: process.env.ABC_QUEUE_DATA_DIR || undefined,
      onWarning: (m) => process.stderr.write(`warning: job ${job.id}: ${m}\n`),
    });
  } catch (e) {
    // Bad input fails the same way on every attempt and every machine: no retry.
    if (e instanceof AbcError && (e.code === 'VALIDATION' || e.code === 'UNKNOWN_DETECTOR')) {
      throw new UnrecoverableError(`${e.name}: ${e.message}`);
    }
    throw e;
  }
}

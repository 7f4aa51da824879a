/**
 * The sandboxed processor: BullMQ runs it in a child process of `abc worker`, so that training never blocks the
 * worker's lock renewal. Bad input (a ValidationError) fails the job once (UnrecoverableError); anything else
 * (a crash) is retried by the queue with backoff.
 *
 * The detectors and the job code are imported on the first job, not when the child starts: BullMQ 6 waits
 * forever for a child that dies while it starts, so that window is kept short; a child that dies during a job
 * fails that attempt, and the job is retried.
 */
import { AbcError } from '@abc/core';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import type { JobData, ReproduceJobResult, SearchJobResult } from './jobs.js';

// A worker killed with SIGKILL leaves this child behind: stop with it rather than train for nobody.
process.on('disconnect', () => process.exit(1));

/** Runs one job in the child process. */
export default async function processJob(job: SandboxedJob<JobData>): Promise<ReproduceJobResult | SearchJobResult> {
  process.stderr.write(`job ${job.id}: running in process ${process.pid}\n`);
  try {
    await Promise.all([import('@abc/models'), import('@abc/baselines')]);
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

import { hasDetector, listDetectors, ValidationError } from '@abc/core';
import { executeBenchmarkJob } from './benchmark-jobs.js';
import type { BenchmarkJobResult, JobData, ReproduceJobResult, SearchJobResult } from './jobs.js';
import { executeReproduceJob } from './reproduce-jobs.js';
import { executeSearchJob } from './search-jobs.js';

/** Where a worker's jobs find their data. */
export interface ExecuteContext {
  /** The queue's address (a search's rows and a benchmark's dataset files are stored there). */
  queueUrl: string;
  /** Data folder of the paper's datasets (default env ABC_DATA_DIR, else the cache folder); missing ones are fetched. */
  dataDir?: string;
  onWarning?: (message: string) => void;
}

/**
 * The registry name of the detector a job fits.
 *
 * @example
 * jobDetector({ kind: 'search-trial', detector: 'iforest', ... }); // 'iforest'
 */
export function jobDetector(data: JobData): string {
  switch (data.kind) {
    case 'reproduce':
      return data.method.detector;
    case 'benchmark':
      return data.run.method.detector;
    default:
      return data.detector;
  }
}

/**
 * Throws a {@link ValidationError} (a job that fails once, without retries) when this process lacks the job's
 * detector: it names the detector and the `--plugin` flag that would load it (the job's `plugins` when the
 * submitter recorded them).
 *
 * @example
 * checkJobDetector({ kind: 'benchmark', run: { method: { id: 'mean-distance', detector: 'mean-distance' } }, plugins: ['my-plugin'] });
 * // ValidationError: this worker has no detector "mean-distance" (…): start abc worker with --plugin my-plugin …
 */
export function checkJobDetector(data: JobData): void {
  const detector = jobDetector(data);
  if (hasDetector(detector)) return;
  const registered = listDetectors()
    .map((e) => e.name)
    .join(', ');
  const flags = (data.plugins ?? []).map((p) => `--plugin ${p}`).join(' ');
  throw new ValidationError(
    'param',
    `this worker has no detector "${detector}" (registered here: ${registered || 'none'}): ` +
      (flags
        ? `start abc worker with ${flags} (the submitter loaded it from there; give the path as it is on this machine)`
        : 'start abc worker with --plugin MODULE, the module that registers it'),
  );
}

/**
 * Does one job of the queue, whatever its kind; an unknown kind or a detector this process lacks is a
 * {@link ValidationError}.
 *
 * @example
 * const result = await executeJob(job.data, { queueUrl: 'redis://127.0.0.1:6379' });
 */
export async function executeJob(
  data: JobData,
  context: ExecuteContext,
): Promise<ReproduceJobResult | SearchJobResult | BenchmarkJobResult> {
  const kind = (data as { kind?: unknown } | undefined)?.kind;
  if (kind !== 'reproduce' && kind !== 'search-trial' && kind !== 'benchmark')
    throw new ValidationError('param', `unknown job kind ${JSON.stringify(kind)}: a worker of another version?`);
  checkJobDetector(data);
  switch (data.kind) {
    case 'reproduce':
      return executeReproduceJob(data, context);
    case 'benchmark':
      return executeBenchmarkJob(data, context);
    default:
      return executeSearchJob(data, context);
  }
}

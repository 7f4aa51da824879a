import { ValidationError } from '@abc/core';
import type { JobData, ReproduceJobResult, SearchJobResult } from './jobs.js';
import { executeReproduceJob } from './reproduce-jobs.js';
import { executeSearchJob } from './search-jobs.js';

/** Where a worker's jobs find their data. */
export interface ExecuteContext {
  /** The queue's address (a search's rows are stored there). */
  queueUrl: string;
  /** Data folder of the paper's datasets (default env ABC_DATA_DIR, else the cache folder); missing ones are fetched. */
  dataDir?: string;
  onWarning?: (message: string) => void;
}

/**
 * Does one job of the queue, whatever its kind; an unknown kind is a {@link ValidationError}.
 *
 * @example
 * const result = await executeJob(job.data, { queueUrl: 'redis://127.0.0.1:6379' });
 */
export async function executeJob(data: JobData, context: ExecuteContext): Promise<ReproduceJobResult | SearchJobResult> {
  switch (data?.kind) {
    case 'reproduce':
      return executeReproduceJob(data, context);
    case 'search-trial':
      return executeSearchJob(data, context);
    default:
      throw new ValidationError(
        'param',
        `unknown job kind ${JSON.stringify((data as { kind?: unknown })?.kind)}: a worker of another version?`,
      );
  }
}

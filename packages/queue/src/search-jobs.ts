import { MinMaxScaler, Random, SimpleImputer, StandardScaler, type Matrix, type Transformer } from '@abc/core';
import { evaluateCandidate, searchParts, type SearchPart, type TrialExecutor } from '@abc/search';
import { canonicalJson, jobId } from './job-id.js';
import { getData, putData } from './data-store.js';
import type { SearchJobData, SearchJobResult } from './jobs.js';
import { runQueued, type QueueProgress } from './submit.js';

/** What defines a search's validation parts and scoring, besides the data. */
export type SearchProblem = SearchJobData['protocol'];

/**
 * The preprocessing of a search job, as `abc search` puts it in front of each candidate.
 *
 * @example
 * const steps = searchTransformers({ impute: false, scaler: 'minmax' }); // () => [new MinMaxScaler()]
 */
export function searchTransformers(problem: Pick<SearchProblem, 'impute' | 'scaler'>): () => Transformer[] {
  return () => [
    ...(problem.impute ? [new SimpleImputer({ strategy: 'mean' })] : []),
    ...(problem.scaler === 'minmax' ? [new MinMaxScaler()] : problem.scaler === 'standard' ? [new StandardScaler()] : []),
  ];
}

/** Options of {@link queueTrialExecutor}. */
export interface QueueTrialExecutorOptions {
  queueUrl: string;
  /** The search's rows (after validation: what `searchDetectors` sees) and labels. */
  X: Matrix;
  y: Uint8Array;
  problem: SearchProblem;
  queueName?: string;
  onProgress?: (event: QueueProgress) => void;
  /** The plugin module that registered a detector (as `abc --plugin` named it), recorded in its jobs. */
  pluginOf?: (detector: string) => string | undefined;
}

/**
 * A search executor that evaluates each rung's configurations on the queue's workers (`abc worker`): pass it as
 * `searchDetectors(X, y, { executor })` with the same seed, validation, objective and preprocessing as `problem`.
 * The data goes to Redis once (keyed by its hash); each job names it.
 *
 * @example
 * const problem = { validation: { kind: 'holdout', fraction: 0.2 }, seed: 0, objective: 'known-and-synthetic', impute: false, scaler: 'minmax' } as const;
 * const executor = queueTrialExecutor({ queueUrl: 'redis://127.0.0.1:6379', X, y, problem });
 * await searchDetectors(X, y, { ...problem, transformers: searchTransformers(problem), executor });
 */
export function queueTrialExecutor(options: QueueTrialExecutorOptions): TrialExecutor {
  let stored: Promise<string> | undefined;
  return async (requests, onOutcome, signal) => {
    stored ??= putData(options.queueUrl, { X: options.X, y: options.y });
    const dataset = await stored;
    const byId = new Map<string, (typeof requests)[number]>();
    const jobs = requests.map((r) => {
      const plugin = options.pluginOf?.(r.detector);
      const data: SearchJobData = {
        kind: 'search-trial',
        dataset,
        protocol: options.problem,
        key: r.key,
        detector: r.detector,
        params: r.params,
        ...(plugin ? { plugins: [plugin] } : {}),
      };
      const id = jobId({
        kind: data.kind,
        dataset,
        protocol: options.problem,
        method: r.detector,
        params: r.params,
        seed: options.problem.seed,
      });
      byId.set(id, r);
      return { id, data };
    });
    await runQueued<SearchJobData, SearchJobResult>({
      queueUrl: options.queueUrl,
      queueName: options.queueName,
      jobs,
      signal,
      onProgress: options.onProgress,
      onResult: (job, result) => onOutcome(byId.get(job.id)!, result),
    });
  };
}

const partsCache = new Map<string, Promise<SearchPart[]>>();

/**
 * Evaluates a search job (in a worker): reads the data from Redis (once per process), builds the validation parts
 * as the search does from its seed, and fits and scores the configuration.
 *
 * @example
 * const outcome = await executeSearchJob(data, { queueUrl: 'redis://127.0.0.1:6379' });
 */
export async function executeSearchJob(data: SearchJobData, options: { queueUrl: string }): Promise<SearchJobResult> {
  const { protocol } = data;
  const cacheKey = canonicalJson([data.dataset, protocol.validation, protocol.seed, protocol.syntheticCount ?? null]);
  let parts = partsCache.get(cacheKey);
  if (!parts) {
    parts = getData(options.queueUrl, data.dataset).then(({ X, y }) =>
      searchParts(X, y, new Random(protocol.seed), { validation: protocol.validation, syntheticCount: protocol.syntheticCount }),
    );
    partsCache.set(cacheKey, parts);
    parts.catch(() => partsCache.delete(cacheKey));
  }
  return evaluateCandidate(await parts, data.detector, data.params, protocol.objective, searchTransformers(protocol));
}

import { parseNpz, runBenchmarkJob, type BenchmarkRunSpec } from '@abc/eval';
import {
  adbenchFromArrays,
  inflateRawNode,
  readDataFile,
  type AdbenchDataset,
  type BenchmarkExecutor,
  type BenchmarkRunRequest,
} from '@abc/eval/node';
import { getBytes, putBytes } from './data-store.js';
import { jobId } from './job-id.js';
import type { BenchmarkJobData, BenchmarkJobResult } from './jobs.js';
import { runQueued, type QueueProgress } from './submit.js';

/**
 * The job of a benchmark run: the run's spec, the SHA-256 of its dataset file's bytes (stored in Redis under
 * it) and the plugins its detector needs.
 *
 * @example
 * const data = benchmarkJob(run.spec, await putBytes(url, bytes), ['@acme/abc-plugin']);
 */
export function benchmarkJob(run: BenchmarkRunSpec, datasetHash: string, plugins: readonly string[] = []): BenchmarkJobData {
  return { kind: 'benchmark', dataset: datasetHash, run, ...(plugins.length > 0 ? { plugins: [...plugins] } : {}) };
}

/**
 * The stable id of a benchmark job: a hash of the dataset's content and name, the protocol (suite, seed, fit
 * ratio, recorded ratios, epoch cap), the method and its params. Where the detector comes from (`plugins`) is
 * not part of the work.
 *
 * @example
 * benchmarkJobId(benchmarkJob(spec, hash)); // 'benchmark-…'
 */
export function benchmarkJobId(data: BenchmarkJobData): string {
  const { method, seed, ...protocol } = data.run;
  const { id, ...params } = method;
  return jobId({ kind: data.kind, dataset: data.dataset, protocol, method: id, params, seed });
}

/** Options of {@link queueBenchmarkExecutor}. */
export interface QueueBenchmarkExecutorOptions {
  queueUrl: string;
  queueName?: string;
  onProgress?: (event: QueueProgress) => void;
  /** The plugin module that registered a detector (as `abc --plugin` named it), recorded in its jobs. */
  pluginOf?: (detector: string) => string | undefined;
  onWarning?: (message: string) => void;
}

/**
 * A benchmark executor that runs the fits on the queue's workers (`abc worker`): pass it as
 * `benchmark({ executor })`. Each dataset file's bytes go to Redis once (keyed by their SHA-256, kept a week),
 * so workers need no data folder; each run is a job. A run that fails for good is reported to the benchmark
 * (failures.jsonl) and the others go on, as locally.
 *
 * @example
 * await benchmark({ suite: 'adbench', dataDir: 'data', out: 'bench',
 *   executor: queueBenchmarkExecutor({ queueUrl: 'redis://127.0.0.1:6379' }) });
 */
export function queueBenchmarkExecutor(options: QueueBenchmarkExecutorOptions): BenchmarkExecutor {
  return async (runs, handlers, signal) => {
    const hashes = new Map<string, string>();
    for (const { file } of runs) {
      if (hashes.has(file.path)) continue;
      const { bytes } = await readDataFile(file.path, { onWarning: options.onWarning });
      hashes.set(file.path, await putBytes(options.queueUrl, bytes));
    }
    const byId = new Map<string, BenchmarkRunRequest>();
    const jobs = runs.map((r) => {
      const plugin = options.pluginOf?.(r.spec.method.detector);
      const data = benchmarkJob(r.spec, hashes.get(r.file.path)!, plugin ? [plugin] : []);
      const id = benchmarkJobId(data);
      byId.set(id, r);
      return { id, data };
    });
    await runQueued<BenchmarkJobData, BenchmarkJobResult>({
      queueUrl: options.queueUrl,
      queueName: options.queueName,
      jobs,
      signal,
      onProgress: options.onProgress,
      onResult: (job, result) => handlers.onOutcome(byId.get(job.id)!, result),
      onFailed: (job, error) => handlers.onFailure(byId.get(job.id)!, error.reason),
    });
  };
}

/** Datasets parsed in this process, by content hash: the last two (a worker's jobs come dataset by dataset). */
const parsed = new Map<string, Promise<AdbenchDataset>>();
const KEEP_PARSED = 2;

/**
 * Does a benchmark job (in a worker): reads the dataset's bytes from Redis (once per process and dataset),
 * parses the `.npz` and runs the fit through `runBenchmarkJob`, as the local benchmark does.
 *
 * @example
 * const { records } = await executeBenchmarkJob(data, { queueUrl: 'redis://127.0.0.1:6379' });
 */
export async function executeBenchmarkJob(
  data: BenchmarkJobData,
  options: { queueUrl: string; onWarning?: (message: string) => void },
): Promise<BenchmarkJobResult> {
  let dataset = parsed.get(data.dataset);
  if (!dataset) {
    const file = `${data.run.dataset}.npz`;
    dataset = getBytes(options.queueUrl, data.dataset, {
      what: `the dataset file ${file}`,
      rerun: 'rerun abc benchmark --queue, which stores it again',
    }).then((bytes) => adbenchFromArrays(parseNpz(bytes, file, inflateRawNode), file));
    parsed.set(data.dataset, dataset);
    dataset.catch(() => parsed.delete(data.dataset));
    for (const key of parsed.keys()) if (parsed.size > KEEP_PARSED) parsed.delete(key);
  }
  const { X, y } = await dataset;
  return runBenchmarkJob({ X, y }, data.run, { onWarning: options.onWarning });
}

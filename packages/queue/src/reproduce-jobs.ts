import { getDetectorEntry } from '@abc/core';
import { runMethod, settingData, type DatasetName } from '@abc/eval';
import {
  datasetSource,
  defaultDataDir,
  fetchDatasets,
  findDataset,
  toyPoints,
  type CifarTestSetChoice,
  type OpenedDataset,
  type RunExecutor,
  type RunTask,
  type RunTaskOutcome,
} from '@abc/eval/node';
import { jobId } from './job-id.js';
import type { ReproduceJobData, ReproduceJobResult } from './jobs.js';
import { runQueued, type QueueProgress } from './submit.js';

/**
 * The job of a reproduction's run.
 *
 * @example
 * const data = reproduceJob(task, { cifarTestSet: 'auto' });
 */
export function reproduceJob(t: RunTask, options: { cifarTestSet?: CifarTestSetChoice } = {}): ReproduceJobData {
  const { task } = t;
  return {
    kind: 'reproduce',
    dataset: t.dataset.name,
    protocol: {
      setting: task.setting,
      run: task.run,
      seed: task.seed,
      ...(task.nKnown !== undefined ? { nKnown: task.nKnown } : {}),
      ...(t.setting2Unknown !== undefined ? { setting2Unknown: t.setting2Unknown } : {}),
      ...(t.maxEpochs !== undefined ? { maxEpochs: t.maxEpochs } : {}),
      scale: t.dataset.scale,
      protocolParams: t.dataset.protocolParams ?? {},
      ...(t.dataset.name === 'cifar10' ? { cifarTestSet: options.cifarTestSet ?? 'auto' } : {}),
      ...(t.grid ? { grid: t.grid } : {}),
    },
    method: task.method,
  };
}

/**
 * The stable id of a reproduce job.
 *
 * @example
 * reproduceJobId(reproduceJob(task)); // 'reproduce-…'
 */
export function reproduceJobId(data: ReproduceJobData): string {
  const { method, ...rest } = data;
  return jobId({
    kind: rest.kind,
    dataset: rest.dataset,
    protocol: rest.protocol,
    method: method.id,
    params: { detector: method.detector, params: method.params ?? {} },
    seed: rest.protocol.seed,
  });
}

/** Options of {@link queueRunExecutor}. */
export interface QueueRunExecutorOptions {
  queueUrl: string;
  /** CIFAR-10's test images, as given to `reproduce`. */
  cifarTestSet?: CifarTestSetChoice;
  queueName?: string;
  onProgress?: (event: QueueProgress) => void;
  /** The plugin module that registered a detector (as `abc --plugin` named it), recorded in its jobs. */
  pluginOf?: (detector: string) => string | undefined;
}

/**
 * A runner executor that runs a reproduction's runs on the queue's workers (`abc worker`): pass it as
 * `reproduce({ executor })`. The records are the same as a local run's but for the timings.
 *
 * @example
 * await reproduce({ out: 'out', datasets: ['toy2d'], executor: queueRunExecutor({ queueUrl: 'redis://127.0.0.1:6379' }) });
 */
export function queueRunExecutor(options: QueueRunExecutorOptions): RunExecutor {
  return async (tasks, onOutcome, signal) => {
    const byId = new Map<string, RunTask>();
    const jobs = tasks.map((t) => {
      const plugin = options.pluginOf?.(t.task.method.detector);
      const data: ReproduceJobData = { ...reproduceJob(t, options), ...(plugin ? { plugins: [plugin] } : {}) };
      const id = reproduceJobId(data);
      byId.set(id, t);
      return { id, data };
    });
    await runQueued<ReproduceJobData, ReproduceJobResult>({
      queueUrl: options.queueUrl,
      queueName: options.queueName,
      jobs,
      signal,
      onProgress: options.onProgress,
      onResult: (job, result) => onOutcome(byId.get(job.id)!, result),
    });
  };
}

const opened = new Map<string, Promise<OpenedDataset>>();

/**
 * Does a reproduce job (in a worker): opens the dataset (once per process; fetched into the data folder when
 * missing), makes the run's training and test sets and runs the method, as the local runner does.
 *
 * @example
 * const { record } = await executeReproduceJob(data, { dataDir: 'data' });
 */
export async function executeReproduceJob(
  data: ReproduceJobData,
  options: { dataDir?: string; onWarning?: (message: string) => void } = {},
): Promise<ReproduceJobResult> {
  const { protocol, method } = data;
  const dir = defaultDataDir(options.dataDir).dir;
  const name = data.dataset as DatasetName;
  const toySize = protocol.protocolParams.toySize;
  const maxRows = protocol.protocolParams.maxRowsPerPart;
  const source = datasetSource(name, {
    dataDir: dir,
    toySize: typeof toySize === 'number' ? toySize : undefined,
    maxRowsPerPart: typeof maxRows === 'number' ? maxRows : undefined,
    cifarTestSet: protocol.cifarTestSet as CifarTestSetChoice | undefined,
    onWarning: options.onWarning,
  });
  const cacheKey = JSON.stringify([name, dir, toySize, maxRows, protocol.cifarTestSet]);
  let open = opened.get(cacheKey);
  if (!open) {
    open = (async () => {
      if (name !== 'toy2d' && !findDataset(name, dir).present) await fetchDatasets([name], { dir });
      return source.open();
    })();
    opened.set(cacheKey, open);
    open.catch(() => opened.delete(cacheKey));
  }
  const split = (await open).split(protocol.seed);
  const supervised = getDetectorEntry(method.detector).supervision === 'supervised';
  const setData = settingData(split, protocol.setting, {
    seed: protocol.seed,
    nKnown: protocol.setting === 3 && supervised ? protocol.nKnown : undefined,
    setting2Unknown: protocol.setting2Unknown,
  });
  const outcome: RunTaskOutcome = await runMethod(setData, method, {
    dataset: name,
    run: protocol.run,
    seed: protocol.seed,
    scale: protocol.scale,
    maxEpochs: protocol.maxEpochs,
    protocolParams: protocol.protocolParams,
    grid: protocol.grid,
    onWarning: options.onWarning,
  });
  if (protocol.grid) outcome.points = toyPoints(setData);
  return outcome;
}

/**
 * The queue's cost and gain on a toy reproduction: wall time of `abc reproduce` run locally, through 1 worker and
 * through 2 workers (each worker one job at a time), and the per-job overhead of the queue on tiny jobs.
 * Needs `redis-server` (started here on a free port). Prints a Markdown table.
 *
 *   pnpm --filter @abc/queue bench:toy
 */
import '@abc/models';
import '@abc/baselines';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abc, stop, type CliProcess } from '../test/helpers/cli.js';
import { hasRedis, NO_REDIS, startRedis } from '../test/helpers/redis.js';
import { executeReproduceJob, reproduceJob, reproduceJobId, runQueued, type ReproduceJobData } from '../src/index.js';

if (!hasRedis) {
  console.error(NO_REDIS);
  process.exit(2);
}

const WORK = [
  '--datasets',
  'toy2d',
  '--settings',
  '1,2',
  '--runs',
  '2',
  '--methods',
  'iforest,ae,abc-ae',
  '--toy-size',
  '10000',
  '--max-epochs',
  '100',
  '--no-report',
];
const JOBS = 2 * 2 * 3;
const tmp = mkdtempSync(join(tmpdir(), 'abc-queue-bench-'));

async function timed(args: string[]): Promise<number> {
  const t0 = performance.now();
  const { code, output } = await abc(args).done;
  if (code !== 0) {
    const log = join(tmpdir(), 'abc-queue-bench-failure.log');
    writeFileSync(log, output);
    throw new Error(`abc ${args.join(' ')} failed (output in ${log}):\n${output.slice(0, 2000)}`);
  }
  return (performance.now() - t0) / 1000;
}

async function withWorkers<T>(n: number, f: (url: string) => Promise<T>): Promise<T> {
  const redis = await startRedis();
  const workers: CliProcess[] = Array.from({ length: n }, () => abc(['worker', '--queue', redis.url]));
  try {
    await Promise.all(workers.map((w) => w.waitFor(/worker on/)));
    return await f(redis.url);
  } finally {
    await Promise.all(workers.map((w) => stop(w)));
    await redis.stop();
  }
}

/** Tiny jobs (iforest on 100 toy rows), seeds from `seed0`. */
function tinyJobs(n: number, seed0: number): { id: string; data: ReproduceJobData }[] {
  return Array.from({ length: n }, (_, i) => {
    const seed = seed0 + i;
    const data = reproduceJob({
      task: { dataset: 'toy2d', setting: 1, method: { id: 'iforest', detector: 'iforest' }, supervised: false, run: i, seed },
      dataset: { name: 'toy2d', scale: false, protocolParams: { toySize: 100 } },
    });
    return { id: reproduceJobId(data), data };
  });
}

try {
  const local = await timed(['reproduce', ...WORK, '--out', join(tmp, 'local')]);
  // Warm workers: each worker's first job starts its child process (loading the sources), a cost paid once.
  const warm = (url: string, n: number) => runQueued({ queueUrl: url, jobs: tinyJobs(4 * n, 2000), onResult: () => undefined });
  const one = await withWorkers(1, async (url) => {
    await warm(url, 1);
    return timed(['reproduce', ...WORK, '--out', join(tmp, 'q1'), '--queue', url]);
  });
  const two = await withWorkers(2, async (url) => {
    await warm(url, 2);
    return timed(['reproduce', ...WORK, '--out', join(tmp, 'q2'), '--queue', url]);
  });
  // Per-job overhead: the same tiny jobs in this process, then through one warm worker (one job at a time).
  const N = 40;
  for (const j of tinyJobs(3, 1000)) await executeReproduceJob(j.data); // warm
  let t0 = performance.now();
  for (const j of tinyJobs(N, 0)) await executeReproduceJob(j.data);
  const inProcess = (performance.now() - t0) / 1000;
  const queued = await withWorkers(1, async (url) => {
    await runQueued({ queueUrl: url, jobs: tinyJobs(3, 1000), onResult: () => undefined }); // warms the child
    t0 = performance.now();
    await runQueued({ queueUrl: url, jobs: tinyJobs(N, 0), onResult: () => undefined });
    return (performance.now() - t0) / 1000;
  });
  console.log(`| ${JOBS} toy runs (10,000 rows, 100 epochs) | wall time | vs local |\n|---|---|---|`);
  console.log(`| local | ${local.toFixed(1)} s | 1.00 |`);
  console.log(`| queue, 1 worker | ${one.toFixed(1)} s | ${(one / local).toFixed(2)} |`);
  console.log(`| queue, 2 workers | ${two.toFixed(1)} s | ${(two / local).toFixed(2)} |`);
  console.log(
    `\nper-job queue overhead: ${(((queued - inProcess) / N) * 1000).toFixed(0)} ms ` +
      `(${N} tiny iforest jobs: ${((inProcess / N) * 1000).toFixed(0)} ms each in process, ${((queued / N) * 1000).toFixed(0)} ms each through a warm worker)`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

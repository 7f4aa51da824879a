/**
 * The benchmark's executor path without Redis: each run goes through its job's JSON (`benchmarkJob`) and the
 * dataset file's bytes, as on the queue; the records equal a local run's, a repeated outcome is recorded once,
 * a failure is recorded as a local one is and retried by the next call.
 */
import '@abc/models';
import '@abc/baselines';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpz, runBenchmarkJob } from '@abc/eval';
import {
  adbenchFromArrays,
  benchmark,
  inflateRawNode,
  readDataFile,
  type BenchmarkExecutor,
  type BenchmarkOptions,
  type BenchmarkRunRequest,
} from '@abc/eval/node';
import { afterAll, describe, expect, it } from 'vitest';
import { benchmarkJob, benchmarkJobId, bytesHash, type BenchmarkJobData } from '../src/index.js';
import { writeBenchmarkData } from './helpers/npz.js';
import { recordsWithout } from './helpers/records.js';

const tmp = mkdtempSync(join(tmpdir(), 'abc-queue-bench-exec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const data = writeBenchmarkData(join(tmp, 'data'));
const TIMINGS = ['fitSeconds', 'scoreSeconds'];

const options = (out: string, executor?: BenchmarkExecutor): BenchmarkOptions => ({
  suite: 'adbench',
  dataDir: data,
  ratios: [0, 0.1],
  seeds: 1,
  methods: 'iforest,abc',
  maxEpochs: 3,
  out,
  report: false,
  executor,
});

/**
 * Runs the requests as a worker would, from the job's JSON and the file's bytes alone, in reverse order; hands
 * every outcome over twice (a queue may repeat one) and fails the runs `failing` picks.
 */
function workerLike(
  calls: BenchmarkRunRequest[][],
  failing: (job: BenchmarkJobData) => boolean = () => false,
): BenchmarkExecutor {
  return async (runs, { onOutcome, onFailure }) => {
    calls.push([...runs]);
    for (const run of [...runs].reverse()) {
      const { bytes } = await readDataFile(run.file.path);
      const job = JSON.parse(JSON.stringify(benchmarkJob(run.spec, bytesHash(bytes)))) as BenchmarkJobData;
      if (failing(job)) {
        await onFailure(run, 'ValidationError: simulated');
        continue;
      }
      const file = `${job.run.dataset}.npz`;
      const { X, y } = adbenchFromArrays(parseNpz(bytes, file, inflateRawNode), file);
      const outcome = JSON.parse(JSON.stringify(await runBenchmarkJob({ X, y }, job.run)));
      await onOutcome(run, outcome);
      await onOutcome(run, outcome);
    }
  };
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('a benchmark through an executor', () => {
  it('records what a local run records, once per run, and hands nothing recorded over again', async () => {
    const local = join(tmp, 'local');
    const remote = join(tmp, 'remote');
    const mine = await benchmark(options(local));
    const calls: BenchmarkRunRequest[][] = [];
    const r = await benchmark(options(remote, workerLike(calls)));
    expect(recordsWithout(join(remote, 'runs.jsonl'), TIMINGS)).toEqual(recordsWithout(join(local, 'runs.jsonl'), TIMINGS));
    expect(lines(join(remote, 'reliability.jsonl')).sort()).toEqual(lines(join(local, 'reliability.jsonl')).sort());
    // Per dataset: iforest once (recorded at 0 and 0.1), abc at 0 and at 0.1: 3 fits, 4 records.
    expect([r.ran, mine.ran]).toEqual([6, 6]);
    expect(lines(join(remote, 'runs.jsonl'))).toHaveLength(8);
    expect(calls).toHaveLength(1); // every dataset's runs in one hand-over
    expect(calls[0]).toHaveLength(6);
    const ids = calls[0].map((run) => benchmarkJobId(benchmarkJob(run.spec, 'same-bytes')));
    expect(new Set(ids).size).toBe(6);

    const again = await benchmark(options(remote, workerLike(calls)));
    expect([again.ran, again.skipped]).toEqual([0, 6]);
    expect(calls).toHaveLength(1);
  });

  it('records a failed run in failures.jsonl, goes on, and retries it on the next call', async () => {
    const out = join(tmp, 'failing');
    const calls: BenchmarkRunRequest[][] = [];
    const abcAtZero = (job: BenchmarkJobData) => job.run.method.id === 'abc' && job.run.fitRatio === 0;
    const first = await benchmark(options(out, workerLike(calls, abcAtZero)));
    expect([first.ran, first.failed]).toEqual([4, 2]);
    const failures = lines(join(out, 'failures.jsonl')).map((l) => JSON.parse(l) as { method: string; error: string });
    expect(failures.map((f) => [f.method, f.error])).toEqual([
      ['abc', 'ValidationError: simulated'],
      ['abc', 'ValidationError: simulated'],
    ]);
    const second = await benchmark(options(out, workerLike(calls)));
    expect([second.ran, second.skipped, second.failed]).toEqual([2, 4, 0]);
    expect(calls[1].map((run) => [run.spec.dataset, run.spec.method.id, run.spec.fitRatio])).toEqual([
      ['1_small', 'abc', 0],
      ['2_other', 'abc', 0],
    ]);
    expect(lines(join(out, 'runs.jsonl'))).toHaveLength(8);
  });

  it('copies an unsupervised result to new ratios without handing it over', async () => {
    const out = join(tmp, 'ratios');
    const calls: BenchmarkRunRequest[][] = [];
    await benchmark({ ...options(out, workerLike(calls)), ratios: [0], methods: 'iforest' });
    await benchmark({ ...options(out, workerLike(calls)), ratios: [0, 0.1], methods: 'iforest' });
    expect(calls.map((c) => c.length)).toEqual([2]);
    expect(lines(join(out, 'runs.jsonl'))).toHaveLength(4);
  });
});

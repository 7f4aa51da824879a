/**
 * The runner's executor path without Redis: each task goes through a job's JSON and a worker's
 * `executeReproduceJob`, as on the queue, and the records equal a local run's.
 */
import '@abc/models';
import '@abc/baselines';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reproduce, type RunExecutor, type RunTask } from '@abc/eval/node';
import { afterAll, describe, expect, it } from 'vitest';
import { executeReproduceJob, reproduceJob, reproduceJobId, type ReproduceJobData } from '../src/index.js';
import { recordsWithout } from './helpers/records.js';

const tmp = mkdtempSync(join(tmpdir(), 'abc-queue-exec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the tasks as workers would: from the job's JSON alone, results back through JSON, in reverse order. */
function workerLike(calls: RunTask[][]): RunExecutor {
  return async (tasks, onOutcome) => {
    calls.push([...tasks]);
    for (const t of [...tasks].reverse()) {
      const data = JSON.parse(JSON.stringify(reproduceJob(t))) as ReproduceJobData;
      const result = await executeReproduceJob(data);
      await onOutcome(t, JSON.parse(JSON.stringify(result)));
    }
  };
}

const common = {
  datasets: ['toy2d'] as const,
  settings: [1, 3] as const,
  runs: 1,
  methods: 'iforest,lrc',
  toySize: 300,
  knownCounts: [10, 'all'] as const,
  report: false,
};

describe('a reproduction through an executor', () => {
  it('records what a local run records (setting 3 with every known anomaly copied from setting 1)', async () => {
    const local = join(tmp, 'local');
    const remote = join(tmp, 'remote');
    await reproduce({
      ...common,
      datasets: [...common.datasets],
      settings: [...common.settings],
      knownCounts: [...common.knownCounts],
      out: local,
    });
    const calls: RunTask[][] = [];
    const r = await reproduce({
      ...common,
      datasets: [...common.datasets],
      settings: [...common.settings],
      knownCounts: [...common.knownCounts],
      out: remote,
      executor: workerLike(calls),
    });
    const timings = ['fitSeconds', 'scoreSeconds'];
    expect(recordsWithout(join(remote, 'runs.jsonl'), timings)).toEqual(recordsWithout(join(local, 'runs.jsonl'), timings));
    expect(r.ran).toBe(5); // iforest s1, lrc s1, lrc s3 n=10, iforest s3, lrc s3 all (a copy)
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(4);
    for (const f of ['toy2d-points.json', 'toy2d-s1-iforest-r0.json'])
      expect(readFileSync(join(remote, 'artifacts', f), 'utf8')).toBe(readFileSync(join(local, 'artifacts', f), 'utf8'));

    const again = await reproduce({
      ...common,
      datasets: [...common.datasets],
      settings: [...common.settings],
      knownCounts: [...common.knownCounts],
      out: remote,
      executor: workerLike(calls),
    });
    expect(again.ran).toBe(0);
    expect(calls).toHaveLength(1); // nothing handed over again
  });

  it('gives each distinct run its own stable job id', async () => {
    const calls: RunTask[][] = [];
    await reproduce({
      ...common,
      datasets: ['toy2d'],
      settings: [1],
      runs: 2,
      knownCounts: undefined,
      out: join(tmp, 'ids'),
      executor: workerLike(calls),
    });
    const ids = calls.flat().map((t) => reproduceJobId(reproduceJob(t)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map((id, i) => reproduceJobId(reproduceJob(calls.flat()[i])) === id).every(Boolean)).toBe(true);
  });
});

/**
 * `abc benchmark --queue` with a real Redis (started here on a free port) and real `abc worker` processes, on
 * two small .npz datasets written here: the records equal a local run's (every field but the timings), results
 * finished while no submitter waited are collected by a rerun, a rerun enqueues nothing recorded, a plugin's
 * detector runs on workers started with `--plugin`, and a worker without it fails the job once, naming it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME, redisOptions } from '../src/index.js';
import { abc, stop, type CliProcess } from './helpers/cli.js';
import { writeBenchmarkData } from './helpers/npz.js';
import { recordsWithout } from './helpers/records.js';
import { hasRedis, NO_REDIS, startRedis, type TestRedis } from './helpers/redis.js';

if (!hasRedis) console.warn(NO_REDIS);

const TIMINGS = ['fitSeconds', 'scoreSeconds'];
const PLUGIN = ['--plugin', './examples/plugin-mean-distance'];
let tmp = '';
let data = '';

/** `abc benchmark` on the two datasets: per dataset iforest and mean-distance once, abc at 0 and 0.1 (4 fits, 6 records). */
const bench = (out: string, extra: string[] = []) => [
  ...PLUGIN,
  'benchmark',
  '--suite',
  'adbench',
  '--data-dir',
  data,
  '--ratios',
  '0,0.1',
  '--seeds',
  '1',
  '--methods',
  'iforest,abc,mean-distance',
  '--max-epochs',
  '3',
  '--out',
  out,
  ...extra,
];
const FITS = 8;

async function ok(p: CliProcess): Promise<string> {
  const { code, output } = await p.done;
  expect(code, output).toBe(0);
  return output;
}

async function jobCounts(url: string): Promise<Record<string, number>> {
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: redisOptions(url) });
  try {
    return await queue.getJobCounts();
  } finally {
    await queue.close();
  }
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const started = (workers: CliProcess[]) =>
  workers.map((w) => (w.output().match(/started benchmark job/g) ?? []).length).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  if (!hasRedis) return;
  tmp = mkdtempSync(join(tmpdir(), 'abc-queue-benchmark-'));
  data = writeBenchmarkData(join(tmp, 'data'));
  await ok(abc(bench(join(tmp, 'local'))));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasRedis)('abc benchmark --queue', () => {
  let redis: TestRedis;
  let workers: CliProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w)));
    await redis?.stop();
  });

  it('collects what 2 workers finished while no submitter waited: the records of a local run', async () => {
    const out = join(tmp, 'collected');
    const first = abc(bench(out, ['--queue', redis.url]));
    await first.waitFor(new RegExp(`${FITS} fit\\(s\\) sent to the workers`));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code, stopped.output).toBe(130);
    expect(stopped.output).toMatch(/collect what the workers finish meanwhile/);

    workers = [abc(['worker', '--queue', redis.url, ...PLUGIN]), abc(['worker', '--queue', redis.url, ...PLUGIN])];
    await Promise.all(workers.map((w) => w.waitFor(/worker on .*plugins \.\/examples\/plugin-mean-distance/)));
    for (let i = 0; (await jobCounts(redis.url)).completed < FITS; i++) {
      if (i > 600) throw new Error(`the workers did not finish:\n${workers.map((w) => w.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const second = await ok(abc(bench(out, ['--queue', redis.url])));
    expect(second).toMatch(new RegExp(`${FITS} fits done, 0 already recorded`));
    expect(recordsWithout(join(out, 'runs.jsonl'), TIMINGS)).toEqual(recordsWithout(join(tmp, 'local/runs.jsonl'), TIMINGS));
    expect(recordsWithout(join(out, 'reliability.jsonl'), [])).toEqual(recordsWithout(join(tmp, 'local/reliability.jsonl'), []));
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect(started(workers)).toBe(FITS); // nothing ran twice
    expect(total(await jobCounts(redis.url))).toBe(0); // every result removed once recorded

    const third = await ok(abc(bench(out, ['--queue', redis.url])));
    expect(third).toMatch(new RegExp(`0 fits done, ${FITS} already recorded`));
    expect(started(workers)).toBe(FITS);
  }, 300_000);

  it('records results as they come while the submitter waits', async () => {
    const out = join(tmp, 'waited');
    const output = await ok(abc(bench(out, ['--queue', redis.url, '--no-report'])));
    expect(output).toMatch(new RegExp(`\\[${FITS}/${FITS}\\] `));
    expect(recordsWithout(join(out, 'runs.jsonl'), TIMINGS)).toEqual(recordsWithout(join(tmp, 'local/runs.jsonl'), TIMINGS));
    expect(started(workers)).toBe(2 * FITS);
  }, 300_000);

  it('fails a job once on a worker without the plugin, naming the detector and the --plugin flag', async () => {
    const url = `${redis.url}/1`; // a database that only this worker serves
    const out = join(tmp, 'no-plugin');
    const worker = abc(['worker', '--queue', url]);
    try {
      await worker.waitFor(/worker on/);
      const output = await ok(abc(bench(out, ['--queue', url, '--datasets', 'small', '--methods', 'iforest,mean-distance'])));
      expect(output).toMatch(
        /mean-distance .*FAILED \(ValidationError: this worker has no detector "mean-distance" .*start abc worker with --plugin \.\/examples\/plugin-mean-distance/,
      );
      expect(output).toMatch(/1 fits done, 0 already recorded, 1 failed/);
      expect(worker.output()).toMatch(/benchmark job \S+ failed \(attempt \d, for good\)/);
      expect(worker.output()).not.toMatch(/will be retried/);
      const failures = readFileSync(join(out, 'failures.jsonl'), 'utf8').trim().split('\n');
      expect(failures.map((l) => (JSON.parse(l) as { method: string; ratio: number }).ratio)).toEqual([0, 0.1]);
      expect(total(await jobCounts(url))).toBe(0);
    } finally {
      await stop(worker);
    }
  }, 300_000);
});

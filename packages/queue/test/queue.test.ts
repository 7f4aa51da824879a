/**
 * The queue with a real Redis (started here on a free port, append-only file on) and real `abc` processes:
 * records through workers equal a local run's, a killed worker's job reruns elsewhere, a restart of Redis is
 * survived, a rerun enqueues nothing recorded, bad input fails once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME, QueueJobError, redisOptions, runQueued, type ReproduceJobData } from '../src/index.js';
import { abc, stop, type CliProcess } from './helpers/cli.js';
import { recordsWithout } from './helpers/records.js';
import { hasRedis, NO_REDIS, startRedis, type TestRedis } from './helpers/redis.js';

if (!hasRedis) console.warn(NO_REDIS);

const TIMINGS = ['fitSeconds', 'scoreSeconds'];
const TOY = [
  '--datasets',
  'toy2d',
  '--settings',
  '1',
  '--runs',
  '2',
  '--methods',
  'iforest,ae',
  '--toy-size',
  '300',
  '--max-epochs',
  '3',
  '--no-report',
];
const SEARCH = [
  '--label',
  'label',
  '--detectors',
  'iforest,ae',
  '--budget',
  '3',
  '--strategy',
  'halving',
  '--param',
  'ae.maxEpochs=9',
  '--seed',
  '1',
];
const FAST = ['--lock-duration', '2000', '--stalled-interval', '1000'];

let tmp: string;
let csv: string;

/** A small labelled CSV: 300 rows of 4 features, every tenth row an anomaly. */
function writeCsv(path: string): void {
  let s = 1;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < 300; i++) {
    const anomaly = i % 10 === 0;
    const v = [0, 1, 2, 3].map(() => (anomaly ? 3 + r() * 2 : r()));
    lines.push([...v.map((x) => x.toFixed(4)), anomaly ? 1 : 0].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function jobCounts(url: string): Promise<number> {
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: redisOptions(url) });
  try {
    const counts = await queue.getJobCounts();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

async function ok(p: CliProcess): Promise<string> {
  const { code, output } = await p.done;
  expect(code, output).toBe(0);
  return output;
}

beforeAll(async () => {
  if (!hasRedis) return;
  tmp = mkdtempSync(join(tmpdir(), 'abc-queue-'));
  csv = join(tmp, 'data.csv');
  writeCsv(csv);
  // The local runs the queued ones must equal.
  await Promise.all([
    ok(abc(['reproduce', ...TOY, '--out', join(tmp, 'local-repro')])),
    ok(abc(['search', '--data', csv, ...SEARCH, '--out', join(tmp, 'local-search')])),
  ]);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasRedis)('two workers on one Redis', () => {
  let redis: TestRedis;
  let workers: CliProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    workers = [abc(['worker', '--queue', redis.url]), abc(['worker', '--queue', redis.url])];
    await Promise.all(workers.map((w) => w.waitFor(/worker on/)));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w)));
    await redis?.stop();
  });

  it('a toy reproduction records what a local run does, and a rerun enqueues nothing recorded', async () => {
    const out = join(tmp, 'queued-repro');
    await ok(abc(['reproduce', ...TOY, '--out', out, '--queue', redis.url]));
    expect(recordsWithout(join(out, 'runs.jsonl'), TIMINGS)).toEqual(
      recordsWithout(join(tmp, 'local-repro/runs.jsonl'), TIMINGS),
    );
    for (const f of ['toy2d-points.json', 'toy2d-s1-ae-r0.json', 'toy2d-s1-iforest-r0.json'])
      expect(readFileSync(join(out, 'artifacts', f), 'utf8'), f).toBe(
        readFileSync(join(tmp, 'local-repro/artifacts', f), 'utf8'),
      );
    const finished = workers.map((w) => (w.output().match(/finished reproduce job/g) ?? []).length);
    expect(finished.reduce((a, b) => a + b, 0)).toBe(4);
    expect(await jobCounts(redis.url)).toBe(0); // every result removed once recorded

    const again = await ok(abc(['reproduce', ...TOY, '--out', out, '--queue', redis.url]));
    expect(again).toMatch(/0 runs done, 4 already recorded/);
    expect(workers.map((w) => (w.output().match(/started reproduce job/g) ?? []).length).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('a halving search gives the trials of a local search, a rung at a time', async () => {
    const out = join(tmp, 'queued-search');
    await ok(abc(['search', '--data', csv, ...SEARCH, '--out', out, '--queue', redis.url]));
    const local = recordsWithout(join(tmp, 'local-search/trials.jsonl'), TIMINGS);
    expect(local.length).toBeGreaterThan(4);
    expect(recordsWithout(join(out, 'trials.jsonl'), TIMINGS)).toEqual(local);
    const best = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { best: { key: string } }).best.key;
    expect(best(out)).toBe(best(join(tmp, 'local-search')));
    expect(await jobCounts(redis.url)).toBe(0);
  });

  it('a job with bad input fails once, without retries', async () => {
    const bad: ReproduceJobData = {
      kind: 'reproduce',
      dataset: 'no-such-dataset',
      protocol: { setting: 1, run: 0, seed: 0, scale: false, protocolParams: {} },
      method: { id: 'iforest', detector: 'iforest' },
    };
    const error = await runQueued({
      queueUrl: redis.url,
      jobs: [{ id: 'reproduce-bad-input', data: bad }],
      onResult: () => undefined,
      pollMs: 200,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueJobError);
    // Not retried (JOB_OPTIONS allow 3 attempts): BullMQ counts an UnrecoverableError's attempt as 0 or 1
    // depending on when the failure is read, so only "not more than one" is asserted.
    expect((error as QueueJobError).attemptsMade).toBeLessThanOrEqual(1);
    expect((error as Error).message).toMatch(/ValidationError.*no-such-dataset/);
  });
});

describe.skipIf(!hasRedis)('failures', () => {
  it('a worker killed with SIGKILL mid-job: the job reruns on another worker and is recorded once', async () => {
    const redis = await startRedis();
    const out = join(tmp, 'killed');
    const first = abc(['worker', '--queue', redis.url, ...FAST]);
    let second: CliProcess | undefined;
    try {
      await first.waitFor(/worker on/);
      const submit = abc([
        'reproduce',
        '--datasets',
        'toy2d',
        '--settings',
        '1',
        '--runs',
        '1',
        '--methods',
        'ae',
        '--toy-size',
        '2000',
        '--max-epochs',
        '30',
        '--no-report',
        '--out',
        out,
        '--queue',
        redis.url,
      ]);
      await first.waitFor(/started reproduce job/);
      first.child.kill('SIGKILL');
      second = abc(['worker', '--queue', redis.url, ...FAST]);
      await ok(submit);
      expect(second.output()).toMatch(/finished reproduce job/);
      expect(first.output()).not.toMatch(/finished/);
      expect(readFileSync(join(out, 'runs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      await Promise.all([stop(first), second ? stop(second) : undefined]);
      await redis.stop();
    }
  });

  it('a job whose process crashes is retried (with backoff) and recorded once', async () => {
    const redis = await startRedis();
    const out = join(tmp, 'crashed');
    const worker = abc(['worker', '--queue', redis.url]);
    try {
      await worker.waitFor(/worker on/);
      const submit = abc([
        'reproduce',
        '--datasets',
        'toy2d',
        '--settings',
        '1',
        '--runs',
        '1',
        '--methods',
        'ae',
        '--toy-size',
        '2000',
        '--max-epochs',
        '30',
        '--no-report',
        '--out',
        out,
        '--queue',
        redis.url,
      ]);
      // Mid-job: the child has started the job (kill it while it starts and BullMQ 6 waits forever; see processor.ts).
      await worker.waitFor(/running in process \d+/);
      const pid = Number(/running in process (\d+)/.exec(worker.output())![1]);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(pid, 'SIGKILL');
      await ok(submit);
      expect(worker.output()).toMatch(/failed \(attempt 1, will be retried\)/);
      expect(worker.output()).toMatch(/finished reproduce job/);
      expect(readFileSync(join(out, 'runs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      await stop(worker);
      await redis.stop();
    }
  });

  it('Redis restarted mid-run: the reproduction completes once it is back, with the same records', async () => {
    const redis = await startRedis();
    const out = join(tmp, 'restarted');
    const worker = abc(['worker', '--queue', redis.url, ...FAST]);
    try {
      await worker.waitFor(/worker on/);
      const submit = abc(['reproduce', ...TOY, '--out', out, '--queue', redis.url]);
      await submit.waitFor(/\[1\/4\]/);
      await redis.restart(500);
      await ok(submit);
      expect(recordsWithout(join(out, 'runs.jsonl'), TIMINGS)).toEqual(
        recordsWithout(join(tmp, 'local-repro/runs.jsonl'), TIMINGS),
      );
    } finally {
      await stop(worker);
      await redis.stop();
    }
  });
});

import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import {
  benchmarkJob,
  benchmarkJobId,
  bytesHash,
  canonicalJson,
  checkJobDetector,
  decodeData,
  encodeData,
  JOB_OPTIONS,
  jobId,
  redisOptions,
  reproduceJob,
  reproduceJobId,
  safeUrl,
} from '../src/index.js';

describe('job ids', () => {
  const spec = {
    kind: 'reproduce',
    dataset: 'toy2d',
    protocol: { setting: 1, run: 0 },
    method: 'ae',
    params: { a: 1, b: [2] },
    seed: 0,
  };

  it('are stable and ignore the order of keys', () => {
    expect(jobId(spec)).toBe(jobId({ ...spec, params: { b: [2], a: 1 }, protocol: { run: 0, setting: 1 } }));
    expect(jobId(spec)).toMatch(/^reproduce-[0-9a-f]{32}$/);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('differ when the work differs', () => {
    const ids = new Set([
      jobId(spec),
      jobId({ ...spec, seed: 1 }),
      jobId({ ...spec, method: 'iforest' }),
      jobId({ ...spec, params: { a: 2, b: [2] } }),
      jobId({ ...spec, protocol: { setting: 2, run: 0 } }),
      jobId({ ...spec, dataset: 'mnist' }),
    ]);
    expect(ids.size).toBe(6);
  });

  it("of a reproduction's run follow its task", () => {
    const method = { id: 'ae', detector: 'ae' };
    const task = (seed: number) => ({
      task: { dataset: 'toy2d', setting: 1 as const, method, supervised: false, run: seed, seed },
      dataset: { name: 'toy2d', scale: false, protocolParams: { toySize: 300 } },
      maxEpochs: 3,
    });
    expect(reproduceJobId(reproduceJob(task(0)))).toBe(reproduceJobId(reproduceJob(task(0))));
    expect(reproduceJobId(reproduceJob(task(0)))).not.toBe(reproduceJobId(reproduceJob(task(1))));
  });

  it('retry a crash with exponential backoff, 3 attempts, and keep results until recorded', () => {
    expect(JOB_OPTIONS).toMatchObject({ attempts: 3, backoff: { type: 'exponential' }, removeOnComplete: false });
  });
});

describe('queue addresses', () => {
  it('read host, port, database, password and TLS', () => {
    expect(redisOptions('redis://127.0.0.1:6390/2')).toMatchObject({ host: '127.0.0.1', port: 6390, db: 2 });
    expect(redisOptions('redis://queue')).toMatchObject({ host: 'queue', port: 6379, db: 0 });
    const tls = redisOptions('rediss://user:p%40ss@queue.example:6380');
    expect(tls).toMatchObject({ username: 'user', password: 'p@ss', tls: { servername: 'queue.example' } });
    expect(redisOptions('redis://h').tls).toBeUndefined();
  });

  it('refuse other schemes and bad databases with a ValidationError', () => {
    expect(() => redisOptions('http://h:1')).toThrow(ValidationError);
    expect(() => redisOptions('not a url')).toThrow(/redis:\/\//);
    expect(() => redisOptions('redis://h/x')).toThrow(/database/);
  });

  it('hide the password in messages', () => {
    expect(safeUrl('redis://:s3cret@host:6379')).toBe('redis://:***@host:6379');
  });
});

describe('stored search data', () => {
  it('round-trips rows (missing values included) and labels', () => {
    const X = { data: Float32Array.of(1, 2, Number.NaN, 4, 5.5, -6), rows: 3, cols: 2 };
    const y = Uint8Array.of(0, 1, 0);
    const back = decodeData(encodeData({ X, y }));
    expect(back.X.rows).toBe(3);
    expect(back.X.cols).toBe(2);
    expect(Array.from(back.X.data)).toEqual(Array.from(X.data));
    expect(Array.from(back.y)).toEqual([0, 1, 0]);
    expect(() => decodeData(encodeData({ X, y }).subarray(0, 20))).toThrow(ValidationError);
  });
});

describe('benchmark jobs', () => {
  const spec = {
    suite: 'adbench',
    dataset: '1_small',
    seed: 0,
    fitRatio: 0,
    ratios: [0, 0.1],
    method: { id: 'iforest', detector: 'iforest' },
    maxEpochs: 3,
  };
  const hash = bytesHash(Buffer.from('the file'));

  it('have ids that follow the file content, its name, the ratios, the method and the seed, not the plugins', () => {
    const id = benchmarkJobId(benchmarkJob(spec, hash));
    expect(id).toMatch(/^benchmark-[0-9a-f]{32}$/);
    expect(benchmarkJobId(benchmarkJob(JSON.parse(JSON.stringify(spec)), hash, ['some-plugin']))).toBe(id);
    const others = [
      benchmarkJob(spec, bytesHash(Buffer.from('another file'))),
      benchmarkJob({ ...spec, dataset: '2_other' }, hash),
      benchmarkJob({ ...spec, ratios: [0] }, hash),
      benchmarkJob({ ...spec, fitRatio: 0.1 }, hash),
      benchmarkJob({ ...spec, seed: 1 }, hash),
      benchmarkJob({ ...spec, maxEpochs: 4 }, hash),
      benchmarkJob({ ...spec, method: { id: 'hbos', detector: 'hbos' } }, hash),
      benchmarkJob({ ...spec, method: { id: 'iforest', detector: 'iforest', params: { nEstimators: 10 } } }, hash),
    ].map(benchmarkJobId);
    expect(new Set([id, ...others]).size).toBe(others.length + 1);
  });

  it('that need a detector this process lacks fail as bad input, naming it and the --plugin flag', () => {
    const job = benchmarkJob({ ...spec, method: { id: 'no-such-detector', detector: 'no-such-detector' } }, hash, [
      './plugins/mine',
    ]);
    expect(() => checkJobDetector(job)).toThrow(ValidationError);
    expect(() => checkJobDetector(job)).toThrow(
      /no detector "no-such-detector" .*start abc worker with --plugin \.\/plugins\/mine/,
    );
    expect(() => checkJobDetector({ ...job, plugins: undefined })).toThrow(/--plugin MODULE, the module that registers it/);
  });
});

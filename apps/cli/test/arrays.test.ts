import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_DATA, realData } from '../../../packages/eval/test/fixtures/real-data.js';
import { main } from '../src/main.js';
import { flags } from './fixtures/flags.js';

const MNIST = realData('mnist', { exactCopy: true });
// test_partial_first1000.bin is in the project's copy only.
const CIFAR = realData('cifar10', { exactCopy: true });
const images = join(MNIST.dir ?? '', 'mnist/t10k-images-idx3-ubyte.gz');
const labels = join(MNIST.dir ?? '', 'mnist/t10k-labels-idx1-ubyte.gz');
const cifar = join(CIFAR.dir ?? '', 'cifar10/test_partial_first1000.bin.gz');
let dir = '';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-arrays-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe(`${REAL_DATA} --data with the numeric arrays the loaders read (IDX, CIFAR-10)`, () => {
  it.skipIf(!MNIST.dir)(
    "fits ABC on MNIST IDX files (the paper's classes), evaluates known and unknown anomalies, scores",
    async () => {
      const model = join(dir, 'mnist.abc');
      const fit = await run(
        'fit',
        ...flags({
          data: images,
          labels,
          classes: '0,1,2,3,5,6,7,8,9',
          'anomaly-classes': '0,2,6,8',
          detector: 'abc',
          param: ['hidden=64,32', 'latent=16', 'maxEpochs=3'],
          scaler: 'none',
          out: model,
        }),
      );
      expect(fit.err).toBe('');
      expect(fit.code).toBe(0);
      expect(fit.out).toMatch(/fitting abc on 9018 rows x 784 columns .* \(5074 normal, 3944 known anomalies\)/);
      const known = JSON.parse(
        (
          await run(
            'evaluate',
            ...flags({ model, data: images, labels, classes: '0,1,2,3,5,6,7,8,9', 'anomaly-classes': '0,2,6,8', json: true }),
          )
        ).out,
      );
      expect(known.rows).toBe(9018);
      expect(known.auroc).toBeGreaterThan(0.9);
      const unknown = JSON.parse(
        (
          await run(
            'evaluate',
            ...flags({ model, data: images, labels, classes: '1,3,4,5,7,9', 'anomaly-classes': '4', json: true }),
          )
        ).out,
      );
      expect(unknown.anomalies).toBe(982);
      expect(unknown.auroc).toBeGreaterThan(0.5);
      const scored = await run('score', ...flags({ model, data: images, labels, classes: '4', out: join(dir, 's.csv') }));
      expect(scored.code).toBe(0);
      expect((await readFile(join(dir, 's.csv'), 'utf8')).trim().split('\n').length).toBe(1 + 982);
    },
    180_000,
  );

  it.skipIf(!CIFAR.dir)(
    'fits an autoencoder on CIFAR-10 binary records (labels inside) and scores them',
    async () => {
      const model = join(dir, 'cifar.abc');
      const fit = await run(
        'fit',
        ...flags({ data: cifar, classes: '1', detector: 'ae', param: ['hidden=32,16', 'latent=8', 'maxEpochs=2'], out: model }),
      );
      expect(fit.code, fit.err).toBe(0);
      expect(fit.out).toMatch(/fitting ae on 89 rows x 3072 columns/);
      const r = await run('evaluate', '--model', model, '--data', cifar, '--classes', '1,9', '--anomaly-classes', '9', '--json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).rows).toBe(89 + 109);
    },
    120_000,
  );

  it.skipIf(!MNIST.dir)('names misused flags (exit 2)', async () => {
    const a = await run('fit', '--data', images, '--label', 'digit', '--detector', 'abc', '--out', join(dir, 'x.abc'));
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/IDX image file, not a CSV: give --anomaly-classes/);
    const b = await run('fit', '--data', images, '--classes', '1', '--detector', 'ae', '--out', join(dir, 'x.abc'));
    expect(b.err).toMatch(/need the IDX label file: --labels FILE/);
    const c = await run(
      'fit',
      ...flags({ data: images, labels, 'anomaly-classes': 'a,b', detector: 'abc', out: join(dir, 'x.abc') }),
    );
    expect(c.err).toMatch(/--anomaly-classes must be a comma-separated list/);
    const d = await run('fit', '--data', images, '--labels', labels, '--detector', 'abc', '--out', join(dir, 'x.abc'));
    expect(d.err).toMatch(/supervised: .* --anomaly-classes/);
  });
});

/**
 * Reliability of ABC, AE, DAE and LRC: adversarial inputs never give NaN scores (huge values are a typed error
 * naming the problem, constant columns, one row and duplicated rows train to finite scores), small real slices
 * of MNIST and KDD Cup '99 train a few epochs without NaN, and save/load round-trips random tiny models
 * (property-based). docs/reliability.md lists the rows.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deserialize,
  matrix,
  MinMaxScaler,
  Pipeline,
  Random,
  serialize,
  StandardScaler,
  ValidationError,
  type Detector,
  type Matrix,
} from '@abc/core';
import { parseKdd, parseMnistImages, parseMnistLabels } from '@abc/eval';
import { ABC, Autoencoder, DenoisingAutoencoder, LRC } from '../src/index.js';
import { REAL_DATA, realData } from '../../eval/test/fixtures/real-data.js';

const MNIST = realData('mnist');
const KDD = realData('kdd99');
const tiny = { hidden: [4], latent: 2, maxEpochs: 3, batchSize: 16, seed: 1 };
const makers: [string, (p?: object) => Detector][] = [
  ['abc', (p) => new ABC({ ...tiny, ...p })],
  ['abc-dae', (p) => new ABC({ ...tiny, variant: 'dae', ...p })],
  ['ae', (p) => new Autoencoder({ ...tiny, ...p })],
  ['dae', (p) => new DenoisingAutoencoder({ ...tiny, ...p })],
  ['lrc', (p) => new LRC({ ...tiny, ...p })],
];

function gauss(n: number, d: number, scale: number, seed: number): Matrix {
  const rng = new Random(seed);
  return matrix(
    Float32Array.from({ length: n * d }, () => rng.normal(0, 1) * scale),
    n,
    d,
  );
}
const someAnomalies = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
const labelsFor = (d: Detector, n: number) => (d.supervision === 'supervised' ? someAnomalies(n) : undefined);

function finite(s: Float32Array): boolean {
  return s.every((v) => Number.isFinite(v));
}

async function gunzipHead(path: string, n: number): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let have = 0;
  const src = createReadStream(path);
  const gz = src.pipe(createGunzip());
  for await (const chunk of gz as AsyncIterable<Buffer>) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= n) break;
  }
  src.destroy();
  gz.destroy();
  return new Uint8Array(Buffer.concat(parts).subarray(0, n));
}

describe('reliability: numerical safety of the reconstruction detectors', () => {
  it.each(makers)('huge values (1e30, beyond ±2^64): %s raises ValidationError(range) suggesting a scaler', async (_n, make) => {
    for (const scale of [1e20, 1e30, 1e37]) {
      const X = gauss(40, 3, scale, 2);
      const d = make();
      const e = await d.fit(X, labelsFor(d, 40)).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).reason).toBe('range');
      expect((e as Error).message).toMatch(/MinMaxScaler/);
      expect(d.fitted).toBe(false);
    }
    // Up to 2^64 training goes through, with finite scores.
    const X = gauss(40, 3, 1e18, 2);
    const d = make();
    await d.fit(X, labelsFor(d, 40));
    expect(finite(await d.scoreSamples(X))).toBe(true);
  });

  it.each(makers)(
    'huge values behind a MinMaxScaler: %s trains and scores finite; huge scoring rows stay finite',
    async (_n, make) => {
      const X = gauss(60, 3, 1e30, 3);
      const d = make();
      const pipe = await new Pipeline([new MinMaxScaler(), d]).fit(X, labelsFor(d, 60));
      expect(finite(await pipe.scoreSamples(X))).toBe(true);
      // Scoring rows far outside the training range (and the largest float32) never gives NaN.
      const big = 3.4028234663852886e38;
      expect(
        finite(
          await pipe.scoreSamples([
            [big, -big, big],
            [0, 0, 0],
          ]),
        ),
      ).toBe(true);
      const plain = make();
      await plain.fit(gauss(60, 3, 1, 4), labelsFor(plain, 60));
      expect(
        finite(
          await plain.scoreSamples([
            [big, -big, big],
            [1e30, 1e30, -1e30],
          ]),
        ),
      ).toBe(true);
    },
  );

  it.each(makers)(
    'constant columns, one row and duplicated rows: %s trains to finite scores (or a typed error)',
    async (_n, make) => {
      const constant = matrix(new Float32Array(30).fill(5), 10, 3);
      const oneRow = matrix(Float32Array.of(1, 2, 3), 1, 3);
      const dup = matrix(
        Float32Array.from({ length: 60 }, (_, i) => i % 3),
        20,
        3,
      );
      const mixed = matrix(
        Float32Array.from({ length: 60 }, (_, i) => (i % 3 === 1 ? 7 : Math.sin(i))),
        20,
        3,
      );
      for (const X of [constant, oneRow, dup, mixed]) {
        for (const scaled of [false, true]) {
          const d = make();
          const model = scaled ? new Pipeline([new MinMaxScaler(), d]) : d;
          try {
            // One row is labelled normal: ABC then trains as an autoencoder, LRC (needs both classes) refuses.
            await model.fit(
              X,
              d.supervision === 'supervised' ? (X.rows === 1 ? Uint8Array.of(0) : someAnomalies(X.rows)) : undefined,
            );
          } catch (e) {
            // Only LRC on one row: a supervised detector needs both classes.
            expect(e).toBeInstanceOf(ValidationError);
            expect(d.name === 'lrc' && X.rows === 1).toBe(true);
            continue;
          }
          expect(finite(await model.scoreSamples(X))).toBe(true);
          expect(Number.isFinite(model.threshold)).toBe(true);
        }
      }
    },
  );

  it.each(makers)('all-zero rows and one-hot spikes: %s trains to finite scores and finite parameters', async (_n, make) => {
    const d = 64;
    const zeros = matrix(new Float32Array(40 * d), 40, d);
    const spikes = matrix(
      Float32Array.from({ length: 40 * d }, (_, k) => (k % d === Math.floor(k / d) % d ? 1 : 0)),
      40,
      d,
    );
    const mixed = matrix(
      Float32Array.from({ length: 40 * d }, (_, k) => (Math.floor(k / d) % 2 ? (k % d === 3 ? 1e6 : 0) : 0)),
      40,
      d,
    );
    for (const X of [zeros, spikes, mixed]) {
      const det = make({ maxEpochs: 8 });
      await det.fit(X, labelsFor(det, 40));
      expect(finite(await det.scoreSamples(X))).toBe(true);
      expect(Array.from((det as ABC).network.params).every(Number.isFinite)).toBe(true);
    }
  });

  it('ABC where L -> 0 for normals and L grows large for anomalies trains without overflow or NaN', async () => {
    // Normals are one point (the network can reconstruct them exactly: L -> 0, where -log(1 - exp(-L)) and its
    // gradient are steepest); known anomalies sit at 1e6, where L is about 1e12 and exp(-L) underflows to 0.
    const n = 200;
    const X = matrix(
      Float32Array.from({ length: n * 4 }, (_, k) => (Math.floor(k / 4) % 5 === 0 ? 1e6 * (1 + (k % 4)) : 0.5)),
      n,
      4,
    );
    const y = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    for (const distance of ['meanSquared', 'l2', 'squaredL2'] as const) {
      const abc = await new ABC({
        hidden: [8],
        latent: 2,
        maxEpochs: 40,
        lr: 1e-2,
        distance,
        seed: 3,
        validationFraction: 0,
      }).fit(X, y);
      const history = abc.history;
      expect(
        history.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.lossNormal!) && Number.isFinite(h.lossAnomaly!)),
      ).toBe(true);
      expect(Array.from(abc.network.params).every(Number.isFinite)).toBe(true);
      const L = await abc.reconstructionError(X);
      expect(L.every(Number.isFinite)).toBe(true);
      expect(L[1]).toBeLessThan(0.1); // a normal: reconstructed closely
      expect(L[0]).toBeGreaterThan(1e3); // an anomaly: far off
      const p = await abc.predictProba(X);
      expect(p[0]).toBe(1);
      expect(p[1]).toBeLessThan(0.1);
    }
  });

  it('LRC with a runaway loss (large learning rate, many epochs) still ends with finite scores', async () => {
    const X = gauss(80, 4, 1, 5);
    for (const lr of [0.1, 1, 10]) {
      const lrc = await new LRC({ ...tiny, maxEpochs: 25, lr, validationFraction: 0 }).fit(X, someAnomalies(80));
      expect(finite(await lrc.scoreSamples(X))).toBe(true);
      expect(Number.isFinite(lrc.threshold)).toBe(true);
    }
  });
});

describe.skipIf(!MNIST.dir || !KDD.dir)(`${REAL_DATA} reliability: real data slices train without NaN`, () => {
  let mnist: { X: Matrix; digits: Uint8Array };
  let kdd: { X: Matrix; anomaly: Uint8Array };
  beforeAll(async () => {
    const n = 400;
    const img = await gunzipHead(join(MNIST.dir!, 'mnist/t10k-images-idx3-ubyte.gz'), 16 + n * 784);
    const lab = await gunzipHead(join(MNIST.dir!, 'mnist/t10k-labels-idx1-ubyte.gz'), 8 + n);
    const header = (magic: number, dims: number[]) => {
      const h = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      h.setUint32(0, magic, false);
      dims.forEach((d, k) => {
        h.setUint32(4 + 4 * k, d, false);
      });
      return new Uint8Array(h.buffer);
    };
    const X = parseMnistImages(new Uint8Array([...header(0x803, [n, 28, 28]), ...img.subarray(16)]));
    const digits = parseMnistLabels(new Uint8Array([...header(0x801, [n]), ...lab.subarray(8)]));
    mnist = { X, digits };
    const text = new TextDecoder().decode(await gunzipHead(join(KDD.dir!, 'kddcup99/corrected.gz'), 300_000));
    const k = parseKdd(text.slice(0, text.lastIndexOf('\n') + 1), { name: 'corrected (slice)' });
    kdd = { X: k.X, anomaly: Uint8Array.from(k.labels, (l) => (l === 'normal' ? 0 : 1)) };
  }, 30_000);

  it('MNIST slice (400 images, 3 epochs): ABC, AE, DAE and LRC scores are finite', async () => {
    expect(mnist.X.cols).toBe(784);
    // Normal: odd digits; known anomalies: 0 and 6 (the paper's scheme, in small).
    const keep = Array.from(mnist.digits.keys()).filter(
      (i) => mnist.digits[i] % 2 === 1 || mnist.digits[i] === 0 || mnist.digits[i] === 6,
    );
    const X = matrix(
      Float32Array.from(keep.flatMap((i) => Array.from(mnist.X.data.subarray(i * 784, (i + 1) * 784)))),
      keep.length,
      784,
    );
    const y = Uint8Array.from(keep, (i) => (mnist.digits[i] % 2 === 1 ? 0 : 1));
    for (const [name, make] of makers) {
      const d = make({ hidden: [16], latent: 4, maxEpochs: 3, batchSize: 50 });
      await d.fit(X, d.supervision === 'supervised' ? y : undefined);
      const s = await d.scoreSamples(mnist.X);
      expect(finite(s), name).toBe(true);
      expect((d as ABC).history.length).toBeGreaterThan(0);
      for (const r of (d as ABC).history) expect(Number.isFinite(r.loss), `${name} loss`).toBe(true);
    }
  }, 60_000);

  it("KDD Cup '99 slice (raw bytes counts up to 1e9, and min-max scaled): scores are finite", async () => {
    expect(kdd.X.cols).toBe(38);
    expect(kdd.anomaly.some((v) => v === 1) && kdd.anomaly.some((v) => v === 0)).toBe(true);
    for (const [name, make] of makers) {
      for (const scaler of [null, () => new MinMaxScaler(), () => new StandardScaler()]) {
        const d = make({ hidden: [8], latent: 2, maxEpochs: 2 });
        const model = scaler ? new Pipeline([scaler(), d]) : d;
        await model.fit(kdd.X, d.supervision === 'supervised' ? kdd.anomaly : undefined);
        expect(finite(await model.scoreSamples(kdd.X)), `${name} ${scaler ? 'scaled' : 'raw'}`).toBe(true);
      }
    }
  }, 60_000);
});

describe('property: save/load round trips of random tiny networks', () => {
  it('abc (ae/dae), ae, dae and lrc with random params and data load back with identical scores', async () => {
    const paramsArb = fc.record({
      hidden: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
      latent: fc.integer({ min: 1, max: 3 }),
      activation: fc.constantFrom('tanh', 'sigmoid', 'relu', 'linear'),
      outputActivation: fc.constantFrom('tanh', 'sigmoid', 'relu', 'linear'),
      distance: fc.constantFrom('meanSquared', 'l2', 'squaredL2'),
      maxEpochs: fc.integer({ min: 1, max: 2 }),
      batchSize: fc.integer({ min: 1, max: 32 }),
      validationFraction: fc.constantFrom(0, 0.2),
      lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
      seed: fc.nat(1000),
      contamination: fc.constantFrom(null, 0.1, 0.5),
    });
    const dataArb = fc
      .record({
        rows: fc.integer({ min: 2, max: 30 }),
        cols: fc.integer({ min: 1, max: 5 }),
        seed: fc.nat(),
        scale: fc.constantFrom(1e-3, 1, 1e3),
      })
      .map(({ rows, cols, seed, scale }) => ({
        X: gauss(rows, cols, scale, seed),
        y: someAnomalies(rows).map((v, i) => (i === 1 ? 1 : v)),
      }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: makers.length - 1 }), paramsArb, dataArb, async (which, p, { X, y }) => {
        const d = makers[which][1](p);
        await d.fit(X, d.supervision === 'supervised' ? y : undefined);
        const loaded = await deserialize(await serialize(d));
        expect(loaded.getParams()).toEqual(d.getParams());
        expect(loaded.threshold).toBe(d.threshold);
        const a = await d.scoreSamples(X);
        const b = await loaded.scoreSamples(X);
        expect(finite(a)).toBe(true);
        a.forEach((v, i) => {
          expect(Object.is(v, b[i])).toBe(true);
        });
      }),
      { seed: 7, numRuns: 40 },
    );
  }, 60_000);
});

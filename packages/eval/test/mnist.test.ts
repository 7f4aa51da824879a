import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { parseMnist } from '../src/datasets/mnist.js';
import { mnistSplit } from '../src/datasets/splits.js';
import { loadMnist, loadMnistSplit, type LoadedMnist } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

const MNIST = realData('mnist', { exactCopy: true });

const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function counts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const v of labels) c[v]++;
  return c;
}

/** An IDX file of unsigned bytes. */
function idx(dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | dims.length, false);
  dims.forEach((d, k) => {
    view.setUint32(4 + 4 * k, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A tiny MNIST-like dataset: n images of 2×2 pixels whose first pixel is the image's index; digits cycle 0–9. */
function tiny(n: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) pixels[i * 4] = i;
  return {
    images: idx([n, 2, 2], pixels),
    labels: idx(
      [n],
      Array.from({ length: n }, (_, i) => i % 10),
    ),
  };
}

describe.skipIf(!MNIST.dir)(`${REAL_DATA} MNIST on the real files`, () => {
  let mnist: LoadedMnist;
  beforeAll(async () => {
    mnist = await loadMnist(MNIST.dir!); // the parent folder: finds mnist/
  }, 120_000);

  it('parses 60,000 + 10,000 images of 28×28 with the README label counts and no checksum warning', () => {
    expect([mnist.train.X.rows, mnist.train.X.cols]).toEqual([60000, 784]);
    expect([mnist.test.X.rows, mnist.test.X.cols]).toEqual([10000, 784]);
    expect(counts(mnist.train.labels)).toEqual(TRAIN_COUNTS);
    expect(counts(mnist.test.labels)).toEqual(TEST_COUNTS);
    expect(mnist.warnings).toEqual([]);
    expect(mnist.files.trainImages).toBe(join(MNIST.dir!, 'mnist', 'train-images-idx3-ubyte.gz'));
  });

  it('scales pixels to [0, 1]: the known training mean and std', () => {
    const d = mnist.train.X.data;
    let s = 0;
    let s2 = 0;
    let max = 0;
    for (let i = 0; i < d.length; i++) {
      s += d[i];
      s2 += d[i] * d[i];
      if (d[i] > max) max = d[i];
    }
    const mean = s / d.length;
    expect(mean).toBeCloseTo(0.13066, 5);
    expect(Math.sqrt(s2 / d.length - mean * mean)).toBeCloseTo(0.30811, 4);
    expect(max).toBe(1);
  });

  it("the paper's split has Table 1's sizes exactly", () => {
    const a = mnistSplit(mnist, { seed: 7 });
    const sizes = [a.train.normal.rows, a.train.known.rows, a.test.normal.rows, a.test.known.rows, a.test.unknown.rows];
    expect(sizes).toEqual([17791, 13797, 17791, 13797, 6824]);
    expect(a.testSet).toBe('exact');
    expect(a.train.normal.cols).toBe(784);
  });
});

describe('mnistSplit on a tiny dataset', () => {
  const data = (() => {
    const tr = tiny(100);
    const te = tiny(40);
    return parseMnist({ trainImages: tr.images, trainLabels: tr.labels, testImages: te.images, testLabels: te.labels });
  })();
  /** The image ids (first pixel × 255, train ids 0–99, test ids 100–139) of a split part. */
  const ids = (m: { data: Float32Array; rows: number; cols: number }) =>
    Array.from({ length: m.rows }, (_, i) => Math.round(m.data[i * m.cols] * 255));

  it('pools both parts, halves normals and known anomalies, puts every unknown in the test set', () => {
    const s = mnistSplit(data, { seed: 3 });
    // 140 images, 14 per digit: normal 70, known 56, unknown 14.
    expect([s.train.normal.rows, s.train.known.rows, s.test.normal.rows, s.test.known.rows, s.test.unknown.rows]).toEqual([
      35, 28, 35, 28, 14,
    ]);
    // Pixel 0 is the index within its part: train ids 0–99, test ids 0–39. Every normal appears once.
    const key = (id: number, digitOk: boolean) => (digitOk ? id : -1);
    const normals = [...ids(s.train.normal), ...ids(s.test.normal)].map((id) => key(id, [1, 3, 5, 7, 9].includes(id % 10)));
    expect(normals).not.toContain(-1);
    const expected = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => i)]
      .filter((i) => [1, 3, 5, 7, 9].includes(i % 10))
      .sort((x, y) => x - y);
    expect([...normals].sort((x, y) => x - y)).toEqual(expected);
    expect(ids(s.test.unknown).every((i) => i % 10 === 4)).toBe(true);
  });

  it('is repeatable from its seed and changes with it', () => {
    const a = mnistSplit(data, { seed: 3 });
    const b = mnistSplit(data, { seed: 3 });
    const c = mnistSplit(data, { seed: 4 });
    expect(ids(b.train.normal)).toEqual(ids(a.train.normal));
    expect(ids(c.train.normal)).not.toEqual(ids(a.train.normal));
    expect(() => mnistSplit(data, { known: [1], normal: [1, 3] })).toThrow(/class 1 is in both/);
    expect(() => mnistSplit(data, { trainFraction: 1 })).toThrow(/trainFraction/);
  });
});

describe('MNIST drop-ins and damaged copies (tiny files)', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const write = (dir: string, train: ReturnType<typeof tiny>, test: ReturnType<typeof tiny>, gz: boolean) => {
    mkdirSync(dir, { recursive: true });
    const put = (name: string, bytes: Uint8Array) =>
      writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
    put('train-images-idx3-ubyte', train.images);
    put('train-labels-idx1-ubyte', train.labels);
    put('t10k-images-idx3-ubyte', test.images);
    put('t10k-labels-idx1-ubyte', test.labels);
  };

  it('files whose checksums differ (drop-ins) load with warnings naming them, passed to onWarning too', async () => {
    const dir = join(tmp.dir, 'dropin', 'mnist');
    write(dir, tiny(30), tiny(20), true);
    const seen: string[] = [];
    const m = await loadMnist(join(tmp.dir, 'dropin'), { onWarning: (w) => seen.push(w) });
    expect([m.train.X.rows, m.train.X.cols, m.test.X.rows]).toEqual([30, 4, 20]);
    expect(m.warnings).toHaveLength(4);
    expect(m.warnings[0]).toMatch(/train-images-idx3-ubyte\.gz: checksum mismatch/);
    expect(m.warnings[0]).toContain(join(dir, 'train-images-idx3-ubyte.gz'));
    expect([...seen].sort()).toEqual([...m.warnings].sort());
    expect((await loadMnist(dir, { verify: false })).warnings).toEqual([]);
  });

  it('loadMnistSplit reads a folder holding raw (not gzipped) files directly', async () => {
    const dir = join(tmp.dir, 'raw');
    write(dir, tiny(100), tiny(40), false);
    const s = await loadMnistSplit(dir, { seed: 1, verify: false });
    expect(s.test.unknown.rows).toBe(14);
    expect(s.warnings).toEqual([]);
  });

  it('a truncated image file and a labels/images mismatch are typed errors naming the file', async () => {
    const dir = join(tmp.dir, 'damaged');
    const test = tiny(20);
    write(dir, tiny(30), { images: test.images.subarray(0, test.images.length - 4), labels: test.labels }, true);
    const e = await loadMnist(dir, { verify: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetFormatError);
    expect((e as DatasetFormatError).problem).toBe('truncated');
    expect((e as DatasetFormatError).message).toContain(join(dir, 't10k-images-idx3-ubyte.gz'));
    write(dir, tiny(30), { images: test.images, labels: tiny(30).labels }, true);
    await expect(loadMnist(dir, { verify: false })).rejects.toThrow(/30 labels for the 20 images/);
  });
});

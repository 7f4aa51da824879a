import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Matrix } from '@abc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { CIFAR_RECORD_BYTES, parseCifar } from '../src/datasets/cifar.js';
import { cifarSplit } from '../src/datasets/splits.js';
import { loadCifar, loadCifarSplit, readDataFile, type LoadedCifar } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

// Our copies (exact training images, the lossy JPEG and exact partial test files): a full CIFAR-10 skips these.
const CIFAR = realData('cifar10', { exactCopy: true });

function counts(labels: Uint8Array): Record<number, number> {
  const c: Record<number, number> = {};
  for (const l of labels) c[l] = (c[l] ?? 0) + 1;
  return c;
}

/** Records with the given labels; pixel 0 of record i is i % 256, the rest the label. */
function records(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR_RECORD_BYTES);
  labels.forEach((l, i) => {
    const off = i * CIFAR_RECORD_BYTES;
    out[off] = l;
    out.fill(l, off + 1, off + CIFAR_RECORD_BYTES);
    out[off + 1] = i % 256;
  });
  return out;
}

const sizes = (s: { train: { normal: Matrix; known: Matrix }; test: { normal: Matrix; known: Matrix; unknown: Matrix } }) => [
  s.train.normal.rows,
  s.train.known.rows,
  s.test.normal.rows,
  s.test.known.rows,
  s.test.unknown.rows,
];

describe.skipIf(!CIFAR.dir)(`${REAL_DATA} CIFAR-10 on the real files`, () => {
  let cifar: LoadedCifar;
  beforeAll(async () => {
    cifar = await loadCifar(CIFAR.dir!); // auto: no test_batch.bin here, so the lossy JPEG test set
  }, 120_000);

  it('reads the exact training images and marks the JPEG test set lossy', () => {
    expect([cifar.train.X.rows, cifar.train.X.cols]).toEqual([15000, 3072]);
    expect(counts(cifar.train.labels)).toEqual({ 1: 5000, 5: 5000, 9: 5000 });
    expect(cifar.testSet).toBe('lossy-jpeg');
    expect(cifar.test!.X.rows).toBe(3000);
    expect(counts(cifar.test!.labels)).toEqual({ 1: 1000, 5: 1000, 9: 1000 });
    expect(cifar.files.test).toBe(join(CIFAR.dir!, 'cifar10', 'test_jpeg_q75_lossy.bin.gz'));
    expect(cifar.warnings).toEqual([]);
  });

  it("the paper's split on the lossy test set", () => {
    const s = cifarSplit(cifar.train, cifar.test, cifar.testSet);
    expect(sizes(s)).toEqual([5000, 5000, 1000, 1000, 1000]);
    expect(s.testSet).toBe('lossy-jpeg');
  });

  it('a seeded hold-out from the exact training images: disjoint from the training part', () => {
    const a = cifarSplit(cifar.train, null, 'holdout', { seed: 5 });
    expect(sizes(a)).toEqual([4000, 4000, 1000, 1000, 1000]);
    expect(a.testSet).toBe('holdout');
    // A 32-bit FNV-1a hash of the whole image plus its first pixels: equal keys mean the same image.
    const key = (m: Matrix, i: number) => {
      const row = m.data.subarray(i * m.cols, (i + 1) * m.cols);
      let h = 0x811c9dc5;
      for (let k = 0; k < row.length; k++) h = Math.imul(h ^ Math.round(row[k] * 255), 0x01000193);
      return `${h >>> 0}:${row.subarray(0, 8).join(',')}`;
    };
    const train = new Set(Array.from({ length: 4000 }, (_, i) => key(a.train.normal, i)));
    for (let i = 0; i < 1000; i++) expect(train.has(key(a.test.normal, i))).toBe(false);
  });

  it('the exact partial test file parses to its README counts', async () => {
    const f = await readDataFile(join(CIFAR.dir!, 'cifar10', 'test_partial_first1000.bin.gz'));
    expect(f.warnings).toEqual([]);
    const d = parseCifar(f.bytes, f.path);
    expect(counts(d.labels)).toEqual({ 1: 89, 5: 86, 9: 109 });
  });
});

describe('parseCifar', () => {
  it('reads the label byte, then the R, G and B planes scaled to [0, 1]', () => {
    const bytes = records([9, 1]);
    bytes[1 + 1024] = 255; // first green byte of record 0
    const d = parseCifar(bytes, 'two');
    expect([d.X.rows, d.X.cols]).toEqual([2, 3072]);
    expect(Array.from(d.labels)).toEqual([9, 1]);
    expect(d.X.data[0]).toBe(0);
    expect(d.X.data[1]).toBeCloseTo(9 / 255, 7);
    expect(d.X.data[1024]).toBe(1);
    expect(d.X.data[3072]).toBeCloseTo(1 / 255, 7);
    expect(Array.from(parseCifar(bytes, 'two', { classes: [1] }).labels)).toEqual([1]);
  });
});

describe('CIFAR-10 folders and bad files', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const labels = (perClass: number) => Array.from({ length: perClass * 4 }, (_, i) => [1, 5, 9, 3][i % 4]);

  it("uses test_batch.bin when present ('exact'), keeps only the split's classes", async () => {
    const dir = join(tmp.dir, 'exact', 'cifar10');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.bin.gz'), gzipSync(records(labels(6))));
    writeFileSync(join(dir, 'test_batch.bin'), records(labels(2)));
    const s = await loadCifarSplit(join(tmp.dir, 'exact'));
    expect(s.testSet).toBe('exact');
    expect(sizes(s)).toEqual([6, 6, 2, 2, 2]);
    expect(s.warnings).toHaveLength(1); // train.bin under its known name with other content
    expect(s.warnings[0]).toMatch(/train\.bin\.gz: checksum mismatch/);
    const all = await loadCifar(dir, { testSet: 'exact', verify: false });
    expect(counts(all.train.labels)).toEqual({ 1: 6, 3: 6, 5: 6, 9: 6 });
  });

  it('reads the original data_batch_N.bin files; without a test file the split is a hold-out', async () => {
    const dir = join(tmp.dir, 'cifar-10-batches-bin');
    mkdirSync(dir);
    for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), records(labels(2)));
    const s = await loadCifarSplit(tmp.dir, { holdoutPerClass: 3, seed: 1 });
    expect(s.testSet).toBe('holdout');
    expect(sizes(s)).toEqual([7, 7, 3, 3, 3]);
    // Repeatable from its seed; another seed draws other images (pixel 0 is the record index).
    const ids = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => Math.round(m.data[i * m.cols] * 255));
    const again = await loadCifarSplit(tmp.dir, { holdoutPerClass: 3, seed: 1 });
    expect(ids(again.test.normal)).toEqual(ids(s.test.normal));
    const other = await Promise.all([2, 3, 4].map((seed) => loadCifarSplit(tmp.dir, { holdoutPerClass: 3, seed })));
    expect(other.some((o) => ids(o.test.normal).join() !== ids(s.test.normal).join())).toBe(true);
    expect([...ids(s.test.normal), ...ids(s.train.normal)].sort()).toEqual(
      [...ids(other[0].test.normal), ...ids(other[0].train.normal)].sort(),
    );
    await expect(loadCifarSplit(tmp.dir, { testSet: 'lossy-jpeg' })).rejects.toThrow(/looked for test_jpeg_q75_lossy\.bin/);
  });

  it('a length that is not a multiple of 3073 and a foreign label byte are typed errors', async () => {
    const bytes = records([1, 9]);
    const e = (() => {
      try {
        parseCifar(bytes.subarray(0, bytes.length - 100), 'short.bin');
      } catch (x) {
        return x as DatasetFormatError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(DatasetFormatError);
    expect(e.problem).toBe('truncated');
    expect(e.message).toMatch(/^short\.bin: 6046 bytes is not a multiple of the 3073-byte/);
    const foreign = records([1]);
    foreign[0] = 42;
    expect(() => parseCifar(foreign, 'c100.bin')).toThrow(/record 0 has label byte 42/);
    const dir = join(tmp.dir, 'short');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train.bin.gz'), gzipSync(bytes.subarray(0, 5000)));
    await expect(loadCifar(dir, { testSet: 'holdout', verify: false })).rejects.toThrow(/train\.bin\.gz: 5000 bytes/);
  });
});

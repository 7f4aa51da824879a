import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '@abc/core';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { readTar } from '../src/datasets/tar.js';
import { loadCifar, loadCifarSplit } from '../src/node/cifar.js';
import { tempDir } from './fixtures/paths.js';
import { writeTar } from './fixtures/tar-writer.js';

/** n CIFAR-10 records whose label cycles through `labels` and whose first red pixel is the record's index. */
function records(n: number, labels: readonly number[], offset = 0): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = labels[i % labels.length];
    out[i * 3073 + 1] = (offset + i) % 256;
  }
  return out;
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('readTar', () => {
  it('lists regular files with their bytes, GNU long names included', () => {
    const long = `${'x'.repeat(120)}/data.bin`;
    const tar = writeTar([
      { name: 'dir/a.bin', bytes: Uint8Array.of(1, 2, 3) },
      { name: long, bytes: new Uint8Array(700).fill(7) },
      { name: 'empty', bytes: new Uint8Array(0) },
    ]);
    const members = readTar(tar, 't.tar');
    expect(members.map((m) => [m.name, m.bytes.length])).toEqual([
      ['dir/a.bin', 3],
      [long, 700],
      ['empty', 0],
    ]);
    expect(Array.from(members[0].bytes)).toEqual([1, 2, 3]);
    expect(members[1].bytes.every((b) => b === 7)).toBe(true);
  });

  it('a foreign file, a damaged header and a truncated member are DatasetFormatErrors naming the archive', () => {
    expect(() => readTar(new Uint8Array(2048).fill(65), 'junk.tar')).toThrow(
      /junk\.tar: not a tar archive, or damaged: bad header checksum/,
    );
    const tar = writeTar([{ name: 'a.bin', bytes: new Uint8Array(1000) }]);
    const damaged = tar.slice();
    damaged[10] ^= 0xff;
    expect(() => readTar(damaged, 'd.tar')).toThrow(DatasetFormatError);
    try {
      readTar(tar.subarray(0, 900), 'cut.tar');
      expect.unreachable();
    } catch (e) {
      expect((e as DatasetFormatError).problem).toBe('truncated');
    }
  });

  it('fuzz: random bit flips and truncations give members or a DatasetFormatError, nothing else', () => {
    const rng = new Random(3);
    const tar = writeTar([
      { name: 'a.bin', bytes: new Uint8Array(600).fill(1) },
      { name: 'b.bin', bytes: new Uint8Array(100).fill(2) },
    ]);
    for (let k = 0; k < 300; k++) {
      const c = tar.slice(0, rng.int(2) ? tar.length : rng.int(tar.length));
      for (let f = rng.int(4); f > 0; f--) if (c.length) c[rng.int(c.length)] ^= 1 << rng.int(8);
      try {
        for (const m of readTar(c, 'f.tar'))
          expect(m.bytes.byteOffset + m.bytes.length).toBeLessThanOrEqual(c.byteOffset + c.length);
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetFormatError);
      }
    }
  });
});

describe("CIFAR-10's official tarball, read in place", () => {
  const dir = join(tmp.dir, 'tarball');
  mkdirSync(join(dir, 'cifar10'), { recursive: true });
  const batches = [1, 2, 3, 4, 5].map((k) => ({
    name: `cifar-10-batches-bin/data_batch_${k}.bin`,
    bytes: records(20, [0, 1, 5, 9], 20 * (k - 1)),
  }));
  const test = { name: 'cifar-10-batches-bin/test_batch.bin', bytes: records(12, [1, 5, 9, 3]) };
  const meta = { name: 'cifar-10-batches-bin/batches.meta.txt', bytes: new TextEncoder().encode('airplane\n') };
  writeFileSync(join(dir, 'cifar10', 'cifar-10-binary.tar.gz'), gzipSync(writeTar([meta, ...batches, test])));

  it('takes data_batch_1..5 in order for training and test_batch as the exact test set', async () => {
    const c = await loadCifar(dir);
    expect(c.train.X.rows).toBe(100);
    expect(c.testSet).toBe('exact');
    expect(c.test!.X.rows).toBe(12);
    // Record order: the first red pixel counts 0..99 over the five batches.
    expect(Math.round(c.train.X.data[3072 * 99] * 255)).toBe(99);
    expect(c.files.train[0]).toMatch(/cifar-10-binary\.tar\.gz:cifar-10-batches-bin\/data_batch_1\.bin$/);
    expect(c.files.test).toMatch(/test_batch\.bin$/);
  });

  it("the paper's split from it; holdout ignores the test batch; lossy-jpeg is refused with the reason", async () => {
    const s = await loadCifarSplit(dir);
    expect(s.testSet).toBe('exact');
    expect([s.train.normal.rows, s.train.known.rows, s.test.normal.rows, s.test.known.rows, s.test.unknown.rows]).toEqual([
      25, 25, 3, 3, 3,
    ]);
    const h = await loadCifar(dir, { testSet: 'holdout' });
    expect(h.test).toBeNull();
    await expect(loadCifar(dir, { testSet: 'lossy-jpeg' })).rejects.toThrow(
      /holds the exact test set, not the lossy JPEG copies/,
    );
  });

  it('a tarball without test_batch.bin names what it holds', async () => {
    const bad = join(tmp.dir, 'no-test');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'cifar-10-binary.tar.gz'), gzipSync(writeTar(batches)));
    await expect(loadCifar(bad)).rejects.toThrow(
      /the tarball has no test_batch\.bin \(members: cifar-10-batches-bin\/data_batch_1\.bin/,
    );
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ValidationError } from '@abc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { parseIdx } from '../src/datasets/idx.js';
import { parseMnistImages, parseMnistLabels } from '../src/datasets/mnist.js';
import { loadMnist, readDataFile } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';

/** An IDX file of unsigned bytes with the given dims and data. */
function idx(dims: number[], data: ArrayLike<number>, magic = 0x0800 | dims.length): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, k) => {
    view.setUint32(4 + 4 * k, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function thrown(f: () => unknown): DatasetFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetFormatError);
    expect(e).toBeInstanceOf(ValidationError);
    return e as DatasetFormatError;
  }
  throw new Error('expected an error');
}

async function rejected(p: Promise<unknown>): Promise<DatasetFormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetFormatError);
    return e as DatasetFormatError;
  }
  throw new Error('expected a rejection');
}

describe('parseIdx', () => {
  it('reads dims and data of unsigned-byte IDX files', () => {
    const bytes = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const a = parseIdx(bytes, 'x', 0x803);
    expect(a.dims).toEqual([2, 2, 3]);
    expect(a.magic).toBe(0x803);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const X = parseMnistImages(bytes, 'x');
    expect([X.rows, X.cols]).toEqual([2, 6]);
    expect(X.data[11]).toBe(1);
    expect(X.data[1]).toBeCloseTo(1 / 255, 7);
    expect(Array.from(parseMnistLabels(idx([3], [7, 0, 9]), 'y'))).toEqual([7, 0, 9]);
  });

  it('rejects a truncated file, naming the file and the sizes', () => {
    const e = thrown(() => parseIdx(idx([3, 28, 28], new Uint8Array(3 * 784 - 5)), 'train-images-idx3-ubyte'));
    expect(e.problem).toBe('truncated');
    expect(e.reason).toBe('shape');
    expect(e.file).toBe('train-images-idx3-ubyte');
    expect(e.message).toMatch(/^train-images-idx3-ubyte: .*3×28×28 = 2352 bytes .* only 2347/);
    expect(thrown(() => parseIdx(new Uint8Array([0, 0, 8]), 'f')).problem).toBe('truncated');
    expect(thrown(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'f')).problem).toBe('truncated');
  });

  it('rejects foreign files, wrong magic, other element types, trailing bytes and gzip bytes', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(thrown(() => parseIdx(png, 'cat.png')).message).toMatch(/cat\.png: not an IDX file \(magic number 0x89504e47\)/);
    const labels = idx([2], [1, 2]);
    const e = thrown(() => parseMnistImages(labels, 'labels-as-images'));
    expect(e.problem).toBe('format');
    expect(e.message).toMatch(/0x00000801 where 0x00000803 was expected/);
    expect(thrown(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d01), 'floats')).message).toMatch(/element type 0xd/);
    expect(thrown(() => parseIdx(idx([2], [1, 2, 3]), 'long')).message).toMatch(/1 bytes follow/);
    expect(thrown(() => parseIdx(gzipSync(labels), 'y.gz')).message).toMatch(/gzip-compressed/);
  });
});

describe('Node file reading', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('gunzips by magic bytes, not by name', async () => {
    const p = join(tmp.dir, 'labels-without-gz-suffix');
    writeFileSync(p, gzipSync(idx([2], [4, 5])));
    const f = await readDataFile(p);
    expect(f.gzipped).toBe(true);
    expect(Array.from(parseIdx(f.bytes, p).data)).toEqual([4, 5]);
  });

  it('a corrupt or truncated gzip file is a typed error naming the file', async () => {
    const good = gzipSync(idx([100], new Uint8Array(100).fill(3)));
    const truncated = join(tmp.dir, 'truncated.gz');
    writeFileSync(truncated, good.subarray(0, good.length - 10));
    const e = await rejected(readDataFile(truncated));
    expect(e.problem).toBe('gzip');
    expect(e.message).toContain(truncated);
    const corrupt = join(tmp.dir, 'corrupt.gz');
    const bad = Uint8Array.from(good);
    bad[12] ^= 0xff;
    bad[13] ^= 0xff;
    writeFileSync(corrupt, bad);
    expect((await rejected(readDataFile(corrupt))).problem).toBe('gzip');
  });

  it('a missing file names the path; a missing dataset names the folder and the file names looked for', async () => {
    const e = await rejected(readDataFile(join(tmp.dir, 'nope.gz')));
    expect(e.problem).toBe('missing');
    expect(e.message).toContain('nope.gz');
    const m = await rejected(loadMnist(tmp.dir));
    expect(m.problem).toBe('missing');
    expect(m.file).toBe(tmp.dir);
    expect(m.message).toContain('train-images-idx3-ubyte');
    expect(m.message).toContain(join(tmp.dir, 'mnist'));
  });
});

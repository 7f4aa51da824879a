/**
 * The `.npy` / `.npz` reader: hand-built arrays of every dtype, byte order, memory order and header version;
 * hand-built zip features (deflate, data descriptors, zip64); fixtures written by real NumPy
 * (fixtures/npy/make_npy_fixtures.py); typed errors for everything malformed; a seeded, bounded fuzz; and all
 * 31 ADBench files of the real data against the table of their README.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { Random, ValidationError } from '@abc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, npyToLabels, npyToMatrix, parseNpy, parseNpz, type NpyArray } from '../src/index.js';
import { adbenchFromArrays, inflateRawNode, loadAdbenchDataset, loadNpz } from '../src/node/index.js';
import { writeNpy, writeZip } from './fixtures/npy-writer.js';
import { tempDir } from './fixtures/paths.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/npy/', import.meta.url));
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

function thrown(f: () => unknown): DatasetFormatError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DatasetFormatError)) throw e;
    expect(e).toBeInstanceOf(ValidationError);
    return e;
  }
  throw new Error('expected a DatasetFormatError');
}

/** The elements of an array in C order, whatever its memory order. */
function cValues(a: NpyArray): (number | bigint)[] {
  const n = a.data.length;
  if (!a.fortranOrder) return Array.from(a.data as ArrayLike<number | bigint>);
  const out = new Array<number | bigint>(n);
  const idx = new Array<number>(a.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let c = 0;
    for (let d = 0; d < a.shape.length; d++) c = c * a.shape[d] + idx[d];
    out[c] = a.data[k];
    for (let d = 0; d < a.shape.length; d++) {
      if (++idx[d] < a.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const KINDS: Record<string, { values: (number | bigint)[]; type: string }> = {
  f8: { values: [0.5, -1.25, 1e300, -0, Math.PI, 5e-324], type: 'Float64Array' },
  f4: { values: [Math.fround(0.1), -2.5, Math.fround(3.4e38), 1, -0, Math.fround(1e-40)], type: 'Float32Array' },
  i8: { values: [0n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 42n], type: 'BigInt64Array' },
  u8: { values: [0n, 1n, 2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 63n, 7n], type: 'BigUint64Array' },
  i4: { values: [0, -1, 2 ** 31 - 1, -(2 ** 31), 123456, -7], type: 'Int32Array' },
  u4: { values: [0, 1, 2 ** 32 - 1, 2 ** 31, 65536, 9], type: 'Uint32Array' },
  i2: { values: [0, -1, 32767, -32768, 300, -300], type: 'Int16Array' },
  u2: { values: [0, 1, 65535, 32768, 256, 2], type: 'Uint16Array' },
  i1: { values: [0, -1, 127, -128, 5, -5], type: 'Int8Array' },
  u1: { values: [0, 1, 255, 128, 5, 6], type: 'Uint8Array' },
  b1: { values: [0, 1, 1, 0, 1, 0], type: 'Uint8Array' },
};

describe('parseNpy: hand-built arrays', () => {
  for (const [kind, { values, type }] of Object.entries(KINDS)) {
    const orders = kind.endsWith('1') ? ['|'] : ['<', '>'];
    for (const order of orders) {
      for (const fortran of [false, true]) {
        it(`${order}${kind} ${fortran ? 'Fortran' : 'C'} order`, () => {
          const a = parseNpy(writeNpy(`${order}${kind}`, [2, 3], values, { fortran }), 'a.npy');
          expect(a.dtype).toBe(`${order}${kind}`);
          expect(a.shape).toEqual([2, 3]);
          expect(a.fortranOrder).toBe(fortran);
          expect(a.data.constructor.name).toBe(type);
          expect(a.version).toBe('1.0');
          const got = cValues(a);
          values.forEach((v, k) => {
            expect(Object.is(got[k], v), `element ${k}: ${String(got[k])} vs ${String(v)}`).toBe(true);
          });
        });
      }
    }
  }

  it('bool bytes other than 0 and 1 read as 1 (NumPy: nonzero is True)', () => {
    const a = parseNpy(writeNpy('|b1', [3], [0, 2, 255]));
    expect(Array.from(a.data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('1-D, 0-D, empty and 3-D shapes; header versions 1.0, 2.0, 3.0', () => {
    expect(parseNpy(writeNpy('<f8', [4], [1, 2, 3, 4])).shape).toEqual([4]);
    const scalar = parseNpy(writeNpy('<f8', [], [2.5]));
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float64Array)).toEqual([2.5]);
    const empty = parseNpy(writeNpy('<f4', [0, 5], []));
    expect(empty.shape).toEqual([0, 5]);
    expect(empty.data.length).toBe(0);
    const values = Array.from({ length: 24 }, (_, k) => k - 3);
    const cube = parseNpy(writeNpy('>i2', [2, 3, 4], values, { fortran: true }));
    expect(cValues(cube)).toEqual(values);
    for (const version of [1, 2, 3] as const) {
      const a = parseNpy(writeNpy('<f8', [2], [1, 2], { version }));
      expect(a.version).toBe(`${version}.0`);
      expect(Array.from(a.data as Float64Array)).toEqual([1, 2]);
    }
  });

  it('header literals as NumPy may write them: double quotes, Python 2 longs, no trailing comma, spaces', () => {
    const h = (header: string) => parseNpy(writeNpy('<f8', [2, 1], [1, 2], { header }));
    expect(h('{"descr": "<f8", "fortran_order": False, "shape": (2, 1)}').shape).toEqual([2, 1]);
    expect(h("{'descr':'<f8','fortran_order':False,'shape':(2L,1L),}").shape).toEqual([2, 1]);
    expect(h("{ 'shape' : ( 2 , 1 ) , 'fortran_order' : True , 'descr' : '<f8' }").fortranOrder).toBe(true);
  });

  it('a view into a larger buffer at an odd offset decodes the same (copies, aligned)', () => {
    const npy = writeNpy('<f8', [3], [1.5, -2, 3]);
    const big = new Uint8Array(npy.length + 7);
    big.set(npy, 3);
    const a = parseNpy(big.subarray(3, 3 + npy.length));
    expect(Array.from(a.data as Float64Array)).toEqual([1.5, -2, 3]);
  });
});

describe('parseNpy: everything malformed is a DatasetFormatError naming the file', () => {
  const good = writeNpy('<f8', [2, 3], [1, 2, 3, 4, 5, 6]);

  it('refuses pickled object arrays, strings, complex, structured and unknown dtypes', () => {
    const obj = thrown(() =>
      parseNpy(writeNpy('<f8', [1], [0], { header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" }), 'obj.npy'),
    );
    expect(obj.message).toMatch(/^obj\.npy: .*pickled object array.*not supported/);
    expect(obj.problem).toBe('format');
    for (const descr of ['<U3', '|S4', '<c16', '<M8[ns]', '<f2', '<f16', '|V8', 'x', '|f8', '<i3']) {
      const e = thrown(() =>
        parseNpy(
          writeNpy('<f8', [1], [0], { header: `{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }` }),
          'd.npy',
        ),
      );
      expect(e.message, descr).toMatch(/^d\.npy: dtype/);
    }
    const structured = thrown(() =>
      parseNpy(
        writeNpy('<f8', [1], [0], { header: "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }" }),
        's.npy',
      ),
    );
    expect(structured.message).toMatch(/structured dtype/);
  });

  it('foreign, truncated, over-long and malformed files', () => {
    expect(thrown(() => parseNpy(new Uint8Array(0), 'e.npy')).problem).toBe('truncated');
    expect(thrown(() => parseNpy(good.subarray(0, 4), 'e.npy')).problem).toBe('truncated');
    expect(thrown(() => parseNpy(good.subarray(0, 9), 'e.npy')).problem).toBe('truncated');
    expect(thrown(() => parseNpy(good.subarray(0, 40), 'e.npy')).problem).toBe('truncated');
    const short = thrown(() => parseNpy(good.subarray(0, good.length - 1), 'e.npy'));
    expect(short.problem).toBe('truncated');
    expect(short.message).toMatch(/shape \(2, 3\).*truncated/);
    expect(thrown(() => parseNpy(new Uint8Array([...good, 0]), 'e.npy')).message).toMatch(/1 bytes follow/);
    expect(thrown(() => parseNpy(new TextEncoder().encode('a,b\n1,2\n'), 'e.npy')).message).toMatch(/not a \.npy file/);
    expect(thrown(() => parseNpy(gzipSync(good), 'e.npy.gz')).message).toMatch(/gzip-compressed/);
    expect(thrown(() => parseNpy(fixture('adbench_like.npz'), 'a.npz')).message).toMatch(/zip archive.*parseNpz/);
    const v4 = good.slice();
    v4[6] = 4;
    expect(thrown(() => parseNpy(v4, 'e.npy')).message).toMatch(/version 4\.0 is not supported/);
    const bad = (header: string) => thrown(() => parseNpy(writeNpy('<f8', [1], [0], { header }), 'h.npy'));
    expect(bad("{'descr': '<f8', 'shape': (1,), }").message).toMatch(/exactly 'descr'/);
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': True}").message).toMatch(/exactly 'descr'/);
    expect(bad("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }").message).toMatch(/malformed/);
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }").message).toMatch(/malformed/);
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), ").message).toMatch(/malformed/);
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk").message).toMatch(/malformed/);
    expect(bad("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}").message).toMatch(/twice/);
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}").message).toMatch(/beyond 2\^53/);
    // A shape whose product overflows 2^53 is caught before any allocation.
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967295, 4294967295, 4294967295)}").problem).toBe(
      'truncated',
    );
  });
});

describe('npyToMatrix and npyToLabels', () => {
  it('converts C and Fortran order to a row-major float32 Matrix, any numeric dtype', () => {
    const values = [1, 2, 3, 4, 5, 6];
    for (const descr of ['<f8', '>f4', '<i8', '>i2', '|u1', '<u4']) {
      for (const fortran of [false, true]) {
        const X = npyToMatrix(parseNpy(writeNpy(descr, [2, 3], values, { fortran })));
        expect([X.rows, X.cols]).toEqual([2, 3]);
        expect(X.data).toBeInstanceOf(Float32Array);
        expect(Array.from(X.data)).toEqual(values);
      }
    }
  });

  it('int64 beyond 2^53 converts by the documented rule: nearest double, then nearest float32', () => {
    const X = npyToMatrix(parseNpy(writeNpy('<i8', [1, 2], [2n ** 53n + 1n, -(2n ** 63n)])));
    expect(X.data[0]).toBe(Math.fround(2 ** 53));
    expect(X.data[1]).toBe(-(2 ** 63));
  });

  it('non-finite values and float64 beyond float32 range are errors naming the row and column; not 2-D is an error', () => {
    const e = thrown(() => npyToMatrix(parseNpy(writeNpy('<f8', [2, 2], [1, 2, NaN, 4])), 'x.npz'));
    expect(e.message).toMatch(/^x\.npz: X\[1, 0\] is NaN/);
    expect(e.problem).toBe('value');
    expect(thrown(() => npyToMatrix(parseNpy(writeNpy('<f8', [1, 2], [1, 1e300])), 'x.npz')).message).toMatch(
      /X\[0, 1\] is 1e\+300 \(beyond float32 range\)/,
    );
    expect(thrown(() => npyToMatrix(parseNpy(writeNpy('<f8', [3], [1, 2, 3])), 'x.npz')).message).toMatch(/2-D/);
  });

  it('labels: 0/1 of any dtype, int64 compared exactly; anything else names the index and value', () => {
    expect(Array.from(npyToLabels(parseNpy(writeNpy('<i8', [4], [0n, 1n, 1n, 0n]))))).toEqual([0, 1, 1, 0]);
    expect(Array.from(npyToLabels(parseNpy(writeNpy('|b1', [3, 1], [1, 0, 1]))))).toEqual([1, 0, 1]);
    expect(Array.from(npyToLabels(parseNpy(writeNpy('>f8', [2], [1, 0]))))).toEqual([1, 0]);
    const big = thrown(() => npyToLabels(parseNpy(writeNpy('<i8', [2], [0n, 2n ** 53n + 1n])), 'y.npz'));
    expect(big.message).toBe('y.npz: y[1] is 9007199254740993; labels must be 0 (normal) or 1 (anomaly)');
    expect(big.problem).toBe('value');
    expect(thrown(() => npyToLabels(parseNpy(writeNpy('<i4', [2], [1, -1])))).message).toMatch(/y\[1\] is -1/);
    expect(thrown(() => npyToLabels(parseNpy(writeNpy('<f4', [1], [0.5])))).message).toMatch(/y\[0\] is 0\.5/);
    expect(thrown(() => npyToLabels(parseNpy(writeNpy('<i4', [2, 2], [0, 1, 0, 1])))).message).toMatch(/1-D/);
  });
});

describe('parseNpz: zip archives', () => {
  const x = writeNpy('<f8', [2, 2], [1, 2, 3, 4], { fortran: true });
  const y = writeNpy('<i8', [2], [0n, 1n]);
  const check = (arrays: Map<string, NpyArray>) => {
    expect([...arrays.keys()]).toEqual(['X', 'y']);
    expect(Array.from(npyToMatrix(arrays.get('X')!).data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(npyToLabels(arrays.get('y')!))).toEqual([0, 1]);
  };

  it('stored and deflate entries, data descriptors, zip64 extra fields and end records, a comment', () => {
    for (const deflate of [false, true]) {
      for (const dataDescriptor of [false, true]) {
        for (const zip64 of [false, true]) {
          const zip = writeZip(
            [
              { name: 'X.npy', bytes: x, deflate, dataDescriptor, zip64 },
              { name: 'y.npy', bytes: y, deflate, dataDescriptor, zip64 },
            ],
            { zip64, comment: zip64 ? 'made by a test' : '' },
          );
          check(parseNpz(zip, 'a.npz', inflateRawNode));
        }
      }
    }
  });

  it('skips members that are not .npy and folders; a stored archive needs no inflateRaw', () => {
    const zip = writeZip([
      { name: 'notes.txt', bytes: new Uint8Array([1, 2]) },
      { name: 'dir/', bytes: new Uint8Array(0) },
      { name: 'X.npy', bytes: x },
      { name: 'y.npy', bytes: y },
    ]);
    check(parseNpz(zip, 'a.npz'));
  });

  it('errors name the file and the member', () => {
    const deflated = writeZip([{ name: 'X.npy', bytes: x, deflate: true }]);
    expect(thrown(() => parseNpz(deflated, 'a.npz')).message).toMatch(
      /^a\.npz: member X\.npy: is deflate-compressed and no inflateRaw/,
    );
    expect(
      thrown(() =>
        parseNpz(
          writeZip([
            { name: 'X.npy', bytes: x },
            { name: 'X.npy', bytes: x },
          ]),
          'a.npz',
        ),
      ).message,
    ).toMatch(/occurs twice/);
    const inner = thrown(() => parseNpz(writeZip([{ name: 'X.npy', bytes: x.subarray(0, x.length - 3) }]), 'a.npz'));
    expect(inner.message).toMatch(/^a\.npz: member X\.npy: the header says shape \(2, 2\)/);
    const encrypted = writeZip([{ name: 'X.npy', bytes: x }]);
    encrypted[6] |= 1; // local flags
    const cd = encrypted.length - 22 - (46 + 5);
    encrypted[cd + 8] |= 1; // central flags
    expect(thrown(() => parseNpz(encrypted, 'a.npz')).message).toMatch(/encrypted/);
    const bzip = writeZip([{ name: 'X.npy', bytes: x }]);
    bzip[cd + 10] = 12;
    expect(thrown(() => parseNpz(bzip, 'a.npz')).message).toMatch(/compression method 12 is not supported/);
    const flipped = writeZip([{ name: 'X.npy', bytes: x }]);
    flipped[30 + 5 + 100] ^= 1; // a data byte
    expect(thrown(() => parseNpz(flipped, 'a.npz')).message).toMatch(/CRC-32 mismatch/);
    const corrupt = writeZip([{ name: 'X.npy', bytes: x, deflate: true }]);
    corrupt[30 + 5] = 0xff; // an invalid deflate block type
    expect(thrown(() => parseNpz(corrupt, 'a.npz', inflateRawNode)).problem).toBe('gzip');
    expect(thrown(() => parseNpz(x, 'x.npy')).message).toMatch(/single \.npy array.*parseNpy/);
    expect(thrown(() => parseNpz(gzipSync(x), 'x.gz')).message).toMatch(/gzip-compressed/);
    expect(thrown(() => parseNpz(new Uint8Array(100), 'z.npz')).message).toMatch(/not a zip archive/);
    const zip = writeZip([{ name: 'X.npy', bytes: x }]);
    expect(thrown(() => parseNpz(zip.subarray(0, zip.length - 30), 'a.npz')).problem).toBe('truncated');
    // A throwing inflater is wrapped too.
    expect(
      thrown(() =>
        parseNpz(deflated, 'a.npz', () => {
          throw new RangeError('boom');
        }),
      ).message,
    ).toMatch(/corrupt deflate data \(boom\)/);
    // An inflater that returns the wrong size.
    expect(thrown(() => parseNpz(deflated, 'a.npz', () => new Uint8Array(3))).message).toMatch(/inflates to 3 bytes/);
  });
});

interface Expected {
  dtype: string;
  shape: number[];
  fortran: boolean;
  values: string[];
  version?: string;
}
const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  Record<string, Expected> | Expected
>;

function expectArray(a: NpyArray, e: Expected, what: string) {
  expect(a.dtype, what).toBe(e.dtype);
  expect(a.shape, what).toEqual(e.shape);
  expect(a.fortranOrder, what).toBe(e.fortran);
  if (e.version) expect(a.version, what).toBe(e.version);
  const got = cValues(a);
  expect(got.length, what).toBe(e.values.length);
  e.values.forEach((v, k) => {
    const want = typeof got[k] === 'bigint' ? BigInt(v) : Number(v);
    expect(Object.is(got[k], want), `${what}[${k}]: ${String(got[k])} vs ${v}`).toBe(true);
  });
}

describe('NumPy-written fixtures (fixtures/npy/make_npy_fixtures.py)', () => {
  for (const file of ['dtypes_c.npz', 'dtypes_fortran.npz', 'headers.npz', 'adbench_like.npz']) {
    it(`${file}: every array as NumPy wrote it`, () => {
      const arrays = parseNpz(fixture(file), file, inflateRawNode);
      const expected = EXPECTED[file] as Record<string, Expected>;
      expect([...arrays.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [name, e] of Object.entries(expected)) expectArray(arrays.get(name)!, e, `${file}:${name}`);
    });
  }

  it('v1.npy, v2.npy, v3.npy: header versions 1.0, 2.0, 3.0', () => {
    for (const v of [1, 2, 3]) {
      const a = parseNpy(fixture(`v${v}.npy`), `v${v}.npy`);
      expect(a.version).toBe(`${v}.0`);
      expectArray(a, EXPECTED['v.npy'] as Expected, `v${v}.npy`);
    }
  });

  it('object.npz: the pickled member is refused with a clear error naming the file and member', () => {
    const e = thrown(() => parseNpz(fixture('object.npz'), 'object.npz', inflateRawNode));
    expect(e.message).toMatch(/^object\.npz: member obj\.npy: dtype '\|O' is a pickled object array/);
  });

  it('adbench_like.npz through the Node loaders: float32 row-major X from Fortran float64, 0/1 y from int64', async () => {
    const path = join(FIXTURES, 'adbench_like.npz');
    const arrays = await loadNpz(path);
    expect(arrays.get('X')!.fortranOrder).toBe(true);
    const { X, y, name } = await loadAdbenchDataset(path);
    expect(name).toBe('adbench_like');
    expect([X.rows, X.cols]).toEqual([6, 3]);
    expect(Array.from(X.data.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(X.data[3 * 5 + 1]).toBe(1e5);
    expect(Array.from(y)).toEqual([0, 0, 1, 0, 1, 0]);
  });
});

describe('Node loaders: errors', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('a missing file, missing arrays, a row-count mismatch', async () => {
    await expect(loadNpz(join(tmp.dir, 'none.npz'))).rejects.toMatchObject({ problem: 'missing' });
    const only = join(tmp.dir, 'onlyX.npz');
    writeFileSync(only, writeZip([{ name: 'X.npy', bytes: writeNpy('<f8', [1, 1], [1]) }]));
    await expect(loadAdbenchDataset(only)).rejects.toThrow(/holds arrays X and y; found X/);
    const mismatch = new Map([
      ['X', parseNpy(writeNpy('<f8', [2, 1], [1, 2]))],
      ['y', parseNpy(writeNpy('<i4', [3], [0, 1, 0]))],
    ]);
    expect(thrown(() => adbenchFromArrays(mismatch, 'm.npz')).message).toMatch(/X has 2 rows but y has 3 labels/);
    const deflated = join(tmp.dir, 'big.npz');
    writeFileSync(deflated, writeZip([{ name: 'X.npy', bytes: writeNpy('<f8', [4], [1, 2, 3, 4]), deflate: true }]));
    expect((await loadNpz(deflated)).get('X')!.shape).toEqual([4]);
  });

  it('inflateRawNode stops a stream longer than announced', () => {
    const big = deflateRawSync(new Uint8Array(1 << 20));
    expect(() => inflateRawNode(big, 100)).toThrow();
    expect(inflateRawNode(big, 1 << 20).length).toBe(1 << 20);
  });
});

/** One seeded mutation: bit flips, a truncation, a byte inserted or deleted, special bytes. */
function mutate(rng: Random, b: Uint8Array): { kind: string; bytes: Uint8Array } {
  const at = () => rng.int(Math.max(1, b.length));
  switch (rng.int(5)) {
    case 0: {
      const c = b.slice();
      for (let f = 1 + rng.int(3); f > 0; f--) c[at()] ^= 1 << rng.int(8);
      return { kind: 'bit flip', bytes: c };
    }
    case 1:
      return { kind: 'truncation', bytes: b.subarray(0, at()) };
    case 2: {
      const i = at();
      return { kind: 'insert', bytes: new Uint8Array([...b.subarray(0, i), rng.int(256), ...b.subarray(i)]) };
    }
    case 3: {
      const i = at();
      return { kind: 'delete', bytes: new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]) };
    }
    default: {
      const c = b.slice();
      const special = [0, 0xff, 0x27, 0x28, 0x29, 0x2c, 0x3a, 0x7b, 0x7d, 0x50, 0x4b];
      for (let f = 1 + rng.int(4); f > 0; f--) c[at()] = special[rng.int(special.length)];
      return { kind: 'special bytes', bytes: c };
    }
  }
}

/** Consistency of a parsed archive: sizes agree with shapes, and the conversions either work or fail typed. */
function checkConsistent(arrays: Map<string, NpyArray>): void {
  for (const a of arrays.values()) {
    expect(a.data.length).toBe(a.shape.reduce((p, d) => p * d, 1));
    if (a.shape.length === 2) {
      try {
        const X = npyToMatrix(a);
        expect(X.data.length).toBe(X.rows * X.cols);
      } catch (e) {
        if (!(e instanceof DatasetFormatError)) throw e;
      }
    }
  }
}

describe('fuzz: mutated .npz and .npy bytes', () => {
  it('only DatasetFormatError or a consistent result; each case fast (seeded, bounded)', () => {
    const x = writeNpy('<f8', [3, 2], [1, 2, 3, 4, 5, 6], { fortran: true });
    const y = writeNpy('<i8', [3], [0n, 1n, 0n]);
    const bases = [
      fixture('adbench_like.npz'),
      fixture('headers.npz'),
      fixture('dtypes_fortran.npz'),
      writeZip(
        [
          { name: 'X.npy', bytes: x, zip64: true, dataDescriptor: true },
          { name: 'y.npy', bytes: y, deflate: true },
        ],
        { zip64: true },
      ),
    ];
    // Spliced headers: one array's header on another's data, a zip end record on foreign bytes.
    const spliced = [
      new Uint8Array([...y.subarray(0, 128), ...x.subarray(128)]),
      new Uint8Array([...x.subarray(0, 128), ...y.subarray(128)]),
      new Uint8Array([...bases[0].subarray(0, 60), ...bases[1].subarray(60)]),
      new Uint8Array([...new Uint8Array(50), ...bases[0].subarray(bases[0].length - 22)]),
      new Uint8Array([...bases[1].subarray(0, bases[1].length - 22), ...bases[0].subarray(bases[0].length - 22)]),
    ];
    const rng = new Random(7);
    const outcome = { parsed: 0, typedError: 0 };
    const cases: { kind: string; bytes: Uint8Array; npy: boolean }[] = spliced.map((bytes, k) => ({
      kind: 'splice',
      bytes,
      npy: k < 2,
    }));
    for (let k = 0; k < 600; k++) {
      const npy = k % 4 === 3;
      const base = npy ? (k % 8 === 3 ? x : y) : bases[k % bases.length];
      cases.push({ ...mutate(rng, base), npy });
    }
    const t0 = performance.now();
    for (const [k, { kind, bytes, npy }] of cases.entries()) {
      const c0 = performance.now();
      try {
        if (npy) checkConsistent(new Map([['a', parseNpy(bytes, 'f.npy')]]));
        else checkConsistent(parseNpz(bytes, 'f.npz', inflateRawNode));
        outcome.parsed++;
      } catch (e) {
        if (!(e instanceof DatasetFormatError)) {
          throw new Error(`case ${k} (${kind}): ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
        }
        expect(e.message.startsWith(npy ? 'f.npy: ' : 'f.npz: ')).toBe(true);
        outcome.typedError++;
      }
      expect(performance.now() - c0, `case ${k} (${kind}) took too long`).toBeLessThan(500);
    }
    console.log(`npy/npz fuzz: ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(2)} s`, outcome);
    expect(outcome.parsed + outcome.typedError).toBe(cases.length);
    expect(outcome.typedError).toBeGreaterThan(100);
  }, 60_000);
});

/** ADBench's 31 classical files as the table of ../shared/datasets/adbench/README.md lists them. */
const ADBENCH_TABLE: readonly [string, number, number, number, string][] = [
  ['2_annthyroid', 7200, 6, 534, 'float64'],
  ['4_breastw', 683, 9, 239, 'uint8'],
  ['5_campaign', 41188, 62, 4640, 'float64'],
  ['7_Cardiotocography', 2114, 21, 466, 'float64'],
  ['10_cover', 286048, 10, 2747, 'int16'],
  ['12_fault', 1941, 27, 673, 'float64'],
  ['14_glass', 214, 7, 9, 'float64'],
  ['15_Hepatitis', 80, 19, 13, 'float64'],
  ['16_http', 567498, 3, 2211, 'float64'],
  ['17_InternetAds', 1966, 1555, 368, 'float64'],
  ['18_Ionosphere', 351, 32, 126, 'float64'],
  ['19_landsat', 6435, 36, 1333, 'float64'],
  ['20_letter', 1600, 32, 100, 'uint8'],
  ['21_Lymphography', 148, 18, 6, 'float64'],
  ['22_magic.gamma', 19020, 10, 6688, 'float64'],
  ['24_mnist', 7603, 100, 700, 'float64'],
  ['25_musk', 3062, 166, 97, 'float64'],
  ['27_PageBlocks', 5393, 10, 510, 'float64'],
  ['28_pendigits', 6870, 16, 156, 'float64'],
  ['29_Pima', 768, 8, 268, 'float64'],
  ['34_smtp', 95156, 3, 30, 'float64'],
  ['35_SpamBase', 4207, 57, 1679, 'float64'],
  ['37_Stamps', 340, 9, 31, 'float64'],
  ['39_vertebral', 240, 6, 30, 'float64'],
  ['40_vowels', 1456, 12, 50, 'float64'],
  ['41_Waveform', 3443, 21, 100, 'float64'],
  ['42_WBC', 223, 9, 10, 'float64'],
  ['43_WDBC', 367, 30, 10, 'float64'],
  ['45_wine', 129, 13, 10, 'float64'],
  ['46_WPBC', 198, 33, 47, 'float64'],
  ['47_yeast', 1484, 8, 507, 'float64'],
];
const DTYPE: Record<string, string> = { float64: '<f8', uint8: '|u1', int16: '<i2' };

const pima = realData('adbench/29_Pima');
describe.skipIf(!pima.dir)(`${REAL_DATA} ADBench: all 31 .npz files read with the README's rows, features and anomalies`, () => {
  for (const [name, rows, features, anomalies, dtype] of ADBENCH_TABLE) {
    it(name, async (ctx) => {
      const found = name === '29_Pima' ? pima : realData(`adbench/${name}`);
      if (!found.dir) return ctx.skip(found.skip);
      const path = join(found.dir, 'adbench', `${name}.npz`);
      const arrays = await loadNpz(path);
      expect(arrays.get('X')!.dtype).toBe(DTYPE[dtype]);
      const { X, y } = adbenchFromArrays(arrays, path);
      expect([X.rows, X.cols]).toEqual([rows, features]);
      expect(y.reduce((s, v) => s + v, 0)).toBe(anomalies);
      for (const v of X.data) if (!Number.isFinite(v)) throw new Error(`${name}: a non-finite value`);
    }, 30_000);
  }
});

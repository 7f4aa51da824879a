/**
 * Fuzz of the dataset parsers on small real slices of the datasets (MNIST IDX, CIFAR-10 binary, KDD Cup '99
 * rows, a CSV made from KDD rows; generated stand-ins of the same formats where the real files are absent), mutated by bit flips, truncations, spliced headers and inserted
 * or deleted bytes. Every case must parse to a consistent result or raise a DatasetFormatError (a core
 * ValidationError); never another exception, and never slow (each case is timed). Seeded and bounded.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random, ValidationError } from '@abc/core';
import {
  DatasetFormatError,
  parseCifar,
  parseCsv,
  parseIdx,
  parseKdd,
  parseMnistImages,
  parseMnistLabels,
  readCsvChunks,
} from '../src/index.js';
import { readDataFile } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

const fallback = 'fuzzing generated stand-ins instead';
const REAL = {
  mnist: realData('mnist', { fallback }),
  kdd99: realData('kdd99', { fallback }),
  // The exact partial test file exists only in the project's copy.
  cifar10: realData('cifar10', { exactCopy: true, fallback }),
};
const onRealData = Object.values(REAL).every((r) => r.dir !== undefined);

/** The first `n` bytes of a gzipped file's content (streamed: the rest is never decompressed). */
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

function idx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, false);
  dims.forEach((d, k) => {
    v.setUint32(4 + 4 * k, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

interface Slices {
  images: Uint8Array;
  labels: Uint8Array;
  cifar: Uint8Array;
  kdd: Uint8Array;
  csv: Uint8Array;
}
let slices: Slices;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Generated stand-ins in the real formats: n MNIST-like images and labels, 3 CIFAR records, KDD rows. */
function generatedSlices(n: number): { img: Uint8Array; lab: Uint8Array; cifar: Uint8Array; kddText: string } {
  const rng = new Random(11);
  const bytes = (len: number) => Uint8Array.from({ length: len }, () => rng.int(256));
  const img = new Uint8Array(16 + n * 784);
  img.set(bytes(n * 784), 16);
  const lab = new Uint8Array(8 + n);
  lab.set(
    Uint8Array.from({ length: n }, () => rng.int(10)),
    8,
  );
  const cifar = bytes(3 * 3073);
  for (let r = 0; r < 3; r++) cifar[r * 3073] = rng.int(10);
  const protocols = ['tcp', 'udp', 'icmp'];
  const labels = ['normal', 'smurf', 'neptune', 'guess_passwd'];
  const rows = Array.from({ length: 40 }, () => {
    const numbers = Array.from({ length: 38 }, () => (rng.int(4) === 0 ? (rng.int(1000) / 100).toFixed(2) : String(rng.int(3))));
    return [numbers[0], protocols[rng.int(3)], 'http', 'SF', ...numbers.slice(1), `${labels[rng.int(4)]}.`].join(',');
  });
  return { img, lab, cifar, kddText: `${rows.join('\n')}\n` };
}

beforeAll(async () => {
  const n = 12;
  const { img, lab, cifar, kddText } = onRealData
    ? {
        img: await gunzipHead(join(REAL.mnist.dir!, 'mnist/t10k-images-idx3-ubyte.gz'), 16 + n * 784),
        lab: await gunzipHead(join(REAL.mnist.dir!, 'mnist/t10k-labels-idx1-ubyte.gz'), 8 + n),
        cifar: await gunzipHead(join(REAL.cifar10.dir!, 'cifar10/test_partial_first1000.bin.gz'), 3 * 3073),
        kddText: new TextDecoder().decode(await gunzipHead(join(REAL.kdd99.dir!, 'kddcup99/corrected.gz'), 16_384)),
      }
    : generatedSlices(n);
  const kddLines = kddText.split('\n').slice(0, 40);
  const csvLines = kddLines.slice(0, 30).map((l) => {
    const f = l.split(',');
    const label = f.pop()!;
    return [...f, label === 'normal.' ? '0' : '1'].join(',');
  });
  const header = [...Array.from({ length: 41 }, (_, k) => `f${k}`), 'label'].join(',');
  slices = {
    images: idx(0x803, [n, 28, 28], img.subarray(16)),
    labels: idx(0x801, [n], lab.subarray(8)),
    cifar,
    kdd: new TextEncoder().encode(`${kddLines.join('\n')}\n`),
    csv: new TextEncoder().encode(`${[header, ...csvLines].join('\n')}\n`),
  };
}, 30_000);

/** One random mutation of `b`: bit flips, truncation, a byte inserted, deleted or overwritten, a duplicated run. */
function mutate(rng: Random, b: Uint8Array, headerBytes: number): { kind: string; bytes: Uint8Array } {
  const at = (limit = b.length) => rng.int(Math.max(1, limit));
  switch (rng.int(7)) {
    case 0: {
      const c = b.slice();
      for (let f = 1 + rng.int(3); f > 0; f--) c[at()] ^= 1 << rng.int(8);
      return { kind: 'bit flip', bytes: c };
    }
    case 1: {
      const c = b.slice();
      c[at(headerBytes)] ^= 1 << rng.int(8); // the header, where the sizes are
      return { kind: 'header bit flip', bytes: c };
    }
    case 2:
      return { kind: 'truncation', bytes: b.subarray(0, at()) };
    case 3: {
      const i = at();
      return { kind: 'insert', bytes: new Uint8Array([...b.subarray(0, i), rng.int(256), ...b.subarray(i)]) };
    }
    case 4: {
      const i = at();
      return { kind: 'delete', bytes: new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]) };
    }
    case 5: {
      const i = at();
      const len = 1 + rng.int(64);
      return {
        kind: 'duplicate run',
        bytes: new Uint8Array([...b.subarray(0, i + len), ...b.subarray(i, i + len), ...b.subarray(i + len)]),
      };
    }
    default: {
      const c = b.slice();
      const special = [0, 0xff, 0x22, 0x2c, 0x0a, 0x0d, 0x2e, 0x1f, 0x8b, 0x45, 0x2d];
      for (let f = 1 + rng.int(4); f > 0; f--) c[at()] = special[rng.int(special.length)];
      return { kind: 'special bytes', bytes: c };
    }
  }
}

type Parser = (bytes: Uint8Array) => Promise<void> | void;

async function fuzz(
  name: string,
  seed: number,
  base: Uint8Array,
  headerBytes: number,
  parse: Parser,
  cases: number,
  extra: Uint8Array[] = [],
) {
  const rng = new Random(seed);
  const outcome = { parsed: 0, typedError: 0 };
  const t0 = performance.now();
  const inputs = [...extra.map((bytes) => ({ kind: 'splice', bytes }))];
  while (inputs.length < cases) inputs.push(mutate(rng, base, headerBytes));
  for (const [k, { kind, bytes }] of inputs.entries()) {
    const c0 = performance.now();
    try {
      await parse(bytes);
      outcome.parsed++;
    } catch (e) {
      if (!(e instanceof DatasetFormatError || e instanceof ValidationError)) {
        throw new Error(`${name} case ${k} (${kind}): ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
      }
      outcome.typedError++;
    }
    expect(performance.now() - c0, `${name} case ${k} (${kind}) took too long`).toBeLessThan(1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${name} fuzz: ${cases} cases in ${seconds.toFixed(2)} s`, outcome);
  expect(outcome.parsed + outcome.typedError).toBe(cases);
  return outcome;
}

describe(
  onRealData ? `${REAL_DATA} fuzz: dataset parsers on mutated real slices` : 'fuzz: dataset parsers on mutated generated slices',
  () => {
    it('IDX / MNIST images and labels: only DatasetFormatError, shapes consistent when parsed', async () => {
      const { images, labels } = slices;
      const spliced = [
        new Uint8Array([...labels.subarray(0, 8), ...images.subarray(16)]), // a label header on image data
        new Uint8Array([...images.subarray(0, 16), ...labels.subarray(8)]), // an image header on label data
        idx(0x803, [0xffffffff, 0xffffffff, 0xffffffff], images.subarray(16)), // sizes that overflow 2^53
        idx(0x803, [0, 28, 28], new Uint8Array(0)),
        idx(0x8ff, [1], new Uint8Array(1)),
        idx(0x0d03, [1, 1, 1], new Uint8Array(4)),
      ];
      await fuzz(
        'IDX images',
        11,
        images,
        16,
        (b) => {
          const X = parseMnistImages(b, 'images');
          expect(X.data.length).toBe(X.rows * X.cols);
          for (const v of X.data) if (!(v >= 0 && v <= 1)) throw new Error(`pixel ${v} outside [0, 1]`);
        },
        300,
        spliced,
      );
      await fuzz(
        'IDX labels',
        12,
        labels,
        8,
        (b) => {
          const y = parseMnistLabels(b, 'labels');
          expect(y).toBeInstanceOf(Uint8Array);
        },
        150,
        spliced,
      );
      await fuzz(
        'IDX generic',
        13,
        images,
        16,
        (b) => {
          const { dims, data } = parseIdx(b, 'any');
          expect(data.length).toBe(dims.reduce((a, d) => a * d, 1));
        },
        150,
      );
    }, 30_000);

    it('CIFAR-10 binary records: only DatasetFormatError, labels 0-9 and pixels in [0, 1] when parsed', async () => {
      const { cifar } = slices;
      await fuzz(
        'CIFAR',
        21,
        cifar,
        1,
        (b) => {
          const { X, labels } = parseCifar(b, 'cifar', { classes: [0, 1, 3] });
          expect(X.rows).toBe(labels.length);
          for (const l of labels) expect([0, 1, 3]).toContain(l);
          for (const v of X.data) if (!(v >= 0 && v <= 1)) throw new Error(`pixel ${v} outside [0, 1]`);
        },
        250,
        [cifar.subarray(0, 3072), new Uint8Array(3073).fill(10), gzipSync(cifar)],
      );
    }, 30_000);

    it("KDD Cup '99 rows: only DatasetFormatError; parsed features are 38 numbers per row", async () => {
      const { kdd } = slices;
      await fuzz(
        'KDD',
        31,
        kdd,
        200,
        (b) => {
          const { X, labels } = parseKdd(b, { name: 'kdd' });
          expect(X.cols).toBe(38);
          expect(labels.length).toBe(X.rows);
          for (const v of X.data) if (!Number.isFinite(v)) throw new Error(`a non-finite feature ${v}`);
        },
        200,
        [
          new TextEncoder().encode(`1,tcp,http,SF${',0'.repeat(37)},normal.\n`),
          new TextEncoder().encode(',,,,\n'),
          new Uint8Array(0),
          new TextEncoder().encode(`Infinity,tcp,http,SF${',1e39'.repeat(37)},normal.\n`),
        ],
      );
    }, 30_000);

    it('CSV (whole and streamed in random pieces): only DatasetFormatError; tables rectangular when parsed', async () => {
      const { csv } = slices;
      const rng = new Random(99);
      const check = (
        t: { names: readonly string[]; columns: readonly ArrayLike<unknown>[]; rows: number },
        labels?: Uint8Array,
      ) => {
        for (const c of t.columns) expect(c.length).toBe(t.rows);
        if (labels) {
          expect(labels.length).toBe(t.rows);
          for (const l of labels) expect(l === 0 || l === 1).toBe(true);
        }
      };
      await fuzz(
        'CSV',
        41,
        csv,
        120,
        (b) => {
          const { table, labels } = parseCsv(b, { name: 'data.csv', label: 'label' });
          check(table, labels);
        },
        300,
        [
          new TextEncoder().encode('a,"b\n1,2\n'),
          new TextEncoder().encode('\uFEFF\n\n'),
          new TextEncoder().encode('label\n2\n'),
          new TextEncoder().encode('a,a,label\n1,2,0\n'),
        ],
      );
      await fuzz(
        'CSV streamed',
        42,
        csv,
        120,
        async (b) => {
          const pieces: Uint8Array[] = [];
          for (let i = 0; i < b.length; ) {
            const len = 1 + rng.int(97);
            pieces.push(b.subarray(i, i + len));
            i += len;
          }
          async function* source() {
            yield* pieces;
          }
          for await (const chunk of readCsvChunks(source(), { name: 'data.csv', label: 'label', chunkRows: 7 }))
            check(chunk.table, chunk.labels);
        },
        150,
      );
    }, 30_000);

    it('gzip files through the Node loader: a corrupt or truncated stream is a DatasetFormatError (gzip)', async () => {
      const gz = gzipSync(slices.images);
      const rng = new Random(51);
      let typed = 0;
      let ran = 0;
      let parsed = 0;
      for (let k = 0; k < 40; k++) {
        const { bytes } = k % 2 === 0 ? { bytes: gz.subarray(0, 2 + rng.int(gz.length - 2)) } : mutate(rng, gz, 10);
        if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) continue;
        const path = join(tmp.dir, `f${k}.gz`);
        await writeFile(path, bytes);
        ran++;
        try {
          const f = await readDataFile(path, { verify: false });
          parseMnistImages(f.bytes, path);
          parsed++;
        } catch (e) {
          expect(e).toBeInstanceOf(DatasetFormatError);
          typed++;
        }
      }
      expect(typed + parsed).toBe(ran);
      expect(typed).toBeGreaterThanOrEqual(10);
    }, 30_000);
  },
);

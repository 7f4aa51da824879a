import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueEntry } from '../src/datasets/catalogue.js';
import { cacheDataDir, defaultDataDir } from '../src/node/data-dir.js';
import { DatasetFetchError, fetchDatasets, type FetchEvent } from '../src/node/fetch-datasets.js';
import { listDatasets } from '../src/node/list-datasets.js';
import { findDataset } from '../src/node/locate.js';
import { tempDir } from './fixtures/paths.js';
import { serveFolder, type StaticServer } from './fixtures/static-server.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const tmp = tempDir();
const served = join(tmp.dir, 'served');
const images = gzipSync(new Uint8Array(4000).map((_, i) => i % 251));
const labels = new Uint8Array(300).map((_, i) => i % 10);
const unknown = new Uint8Array(500).fill(9);
let server: StaticServer;

/** A catalogue of two datasets served locally: one with checksums, one without (as 12 ADBench files). */
function catalogue(base: string): CatalogueEntry[] {
  return [
    {
      name: 'toy-idx',
      folder: 'toy-idx',
      title: 'toy',
      source: 'test',
      files: [
        {
          path: 'toy-idx/images.gz',
          urls: [`${base}/upstream/images.gz`],
          bytes: images.length,
          checksum: { algorithm: 'md5', hex: md5(images), of: 'file' },
          verifiedHere: true,
        },
        {
          path: 'toy-idx/labels.bin',
          urls: [`${base}/upstream/labels.bin`],
          bytes: labels.length,
          checksum: { algorithm: 'sha256', hex: sha256(labels), of: 'file' },
          verifiedHere: true,
        },
      ],
    },
    {
      name: 'adbench/99_unknown',
      folder: 'adbench',
      title: 'no checksum known',
      source: 'test',
      files: [
        {
          path: 'adbench/99_unknown.npz',
          urls: [`${base}/upstream/99_unknown.npz`],
          bytes: null,
          checksum: null,
          verifiedHere: false,
        },
      ],
    },
  ];
}

beforeAll(async () => {
  mkdirSync(join(served, 'upstream'), { recursive: true });
  mkdirSync(join(served, 'mirror', 'toy-idx'), { recursive: true });
  writeFileSync(join(served, 'upstream', 'images.gz'), images);
  writeFileSync(join(served, 'upstream', 'labels.bin'), labels);
  writeFileSync(join(served, 'upstream', '99_unknown.npz'), unknown);
  writeFileSync(join(served, 'mirror', 'toy-idx', 'images.gz'), images);
  writeFileSync(join(served, 'mirror', 'toy-idx', 'labels.bin'), labels);
  server = await serveFolder(served);
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe('the data folder', () => {
  it('ABC_DATA_DIR, else the platform cache folder', () => {
    expect(defaultDataDir('x', { env: { ABC_DATA_DIR: 'y' } })).toEqual({ dir: 'x', from: 'option' });
    expect(defaultDataDir(undefined, { env: { ABC_DATA_DIR: 'y' } })).toEqual({ dir: 'y', from: 'ABC_DATA_DIR' });
    expect(defaultDataDir(undefined, { env: { XDG_CACHE_HOME: '/c' }, platform: 'linux', home: '/h' })).toEqual({
      dir: join('/c', 'abc'),
      from: 'cache',
    });
    expect(cacheDataDir({ env: {}, platform: 'linux', home: '/h' })).toBe(join('/h', '.cache', 'abc'));
    expect(cacheDataDir({ env: {}, platform: 'darwin', home: '/h' })).toBe(join('/h', 'Library', 'Caches', 'abc'));
    expect(cacheDataDir({ env: { LOCALAPPDATA: 'C:/L' }, platform: 'win32', home: '/h' })).toBe(join('C:/L', 'abc', 'Cache'));
  });
});

describe('fetchDatasets against a local server', () => {
  it('writes the --data-dir layout, verifies, reports events; a second fetch downloads nothing', async () => {
    const dir = join(tmp.dir, 'data1');
    const events: FetchEvent['type'][] = [];
    const { files } = await fetchDatasets(['toy-idx'], {
      dir,
      catalogue: catalogue(server.base),
      onEvent: (e) => events.push(e.type),
    });
    expect(files.map((f) => [f.path, f.verification, f.skipped])).toEqual([
      [join(dir, 'toy-idx', 'images.gz'), 'catalogue', false],
      [join(dir, 'toy-idx', 'labels.bin'), 'catalogue', false],
    ]);
    expect(readFileSync(join(dir, 'toy-idx', 'labels.bin'))).toEqual(Buffer.from(labels));
    expect(events.filter((e) => e === 'done')).toHaveLength(2);
    const before = server.hits.get('/upstream/images.gz');
    const again = await fetchDatasets(['toy-idx'], { dir, catalogue: catalogue(server.base) });
    expect(again.files.every((f) => f.skipped)).toBe(true);
    expect(server.hits.get('/upstream/images.gz')).toBe(before);
  });

  it('--mirror bases are tried first, with the same relative paths', async () => {
    const dir = join(tmp.dir, 'data2');
    const { files } = await fetchDatasets(['toy-idx'], {
      dir,
      catalogue: catalogue(server.base),
      mirrors: [`${server.base}/mirror/`],
    });
    expect(files.map((f) => f.url)).toEqual([
      `${server.base}/mirror/toy-idx/images.gz`,
      `${server.base}/mirror/toy-idx/labels.bin`,
    ]);
  });

  it('a file with no known checksum: its SHA-256 is recorded at the first download and checked afterwards', async () => {
    const dir = join(tmp.dir, 'data3');
    const first = await fetchDatasets(['adbench/99_unknown'], { dir, catalogue: catalogue(server.base) });
    expect(first.files[0]).toMatchObject({ verification: 'unverified', sha256: sha256(unknown) });
    const record = readFileSync(join(dir, 'adbench', '99_unknown.npz.sha256'), 'utf8');
    expect(record).toMatch(
      new RegExp(
        `^${sha256(unknown)}  99_unknown\\.npz\\n# recorded at its first download from ${server.base}/upstream/99_unknown\\.npz`,
      ),
    );
    const listed = await listDatasets({ dir, names: ['adbench/99_unknown'], catalogue: catalogue(server.base) });
    expect(listed.datasets[0]).toMatchObject({ complete: true, files: [{ state: 'recorded', bytes: 500 }] });
    // Upstream changes: the file in the cache still matches its record; a fresh download of the new bytes does not.
    writeFileSync(join(served, 'upstream', '99_unknown.npz'), new Uint8Array(500).fill(8));
    try {
      expect((await fetchDatasets(['adbench/99_unknown'], { dir, catalogue: catalogue(server.base) })).files[0]).toMatchObject({
        skipped: true,
        verification: 'recorded',
      });
      writeFileSync(join(dir, 'adbench', '99_unknown.npz'), new Uint8Array(3)); // damaged in the cache
      await expect(
        fetchDatasets(['adbench/99_unknown'], { dir, catalogue: catalogue(server.base), retries: 0, backoffMs: 1 }),
      ).rejects.toThrow(/sha256/i);
    } finally {
      writeFileSync(join(served, 'upstream', '99_unknown.npz'), unknown);
    }
  });

  it('no address answers: one error naming every address tried and how to place the file by hand', async () => {
    const dir = join(tmp.dir, 'data4');
    const dead = 'http://127.0.0.1:9'; // discard port: connection refused
    const err = await fetchDatasets(['toy-idx'], {
      dir,
      catalogue: catalogue(dead),
      mirrors: ['http://127.0.0.1:1/m'],
      retries: 0,
      backoffMs: 1,
      timeoutMs: 2000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFetchError);
    expect(err.code).toBe('DOWNLOAD');
    expect(err.message).toContain('http://127.0.0.1:1/m/toy-idx/images.gz');
    expect(err.message).toContain(`${dead}/upstream/images.gz`);
    expect(err.message).toMatch(/To place it by hand: download .* and copy it to .*toy-idx[\\/]images\.gz \(md5 [0-9a-f]{32}\)/);
    expect(existsSync(join(dir, 'toy-idx', 'images.gz'))).toBe(false);
  });

  it('findDataset and listDatasets see what was fetched, partial and damaged files', async () => {
    const dir = join(tmp.dir, 'data1');
    expect(findDataset('mnist', dir)).toMatchObject({ present: false });
    expect(findDataset('mnist', dir).missing[0]).toBe(join(dir, 'mnist', 'train-images-idx3-ubyte.gz'));
    mkdirSync(join(dir, 'mnist'), { recursive: true });
    writeFileSync(join(dir, 'mnist', 'train-images-idx3-ubyte.gz'), images); // not MNIST: a mismatch
    writeFileSync(join(dir, 'mnist', 'train-labels-idx1-ubyte.gz.part'), labels);
    const { datasets } = await listDatasets({ dir, names: ['mnist', 'cifar10'] });
    expect(datasets[0].complete).toBe(false);
    expect(datasets[0].files.map((f) => f.state)).toEqual(['mismatch', 'partial', 'missing', 'missing']);
    expect(datasets[0].files[1].bytes).toBe(labels.length);
    expect(datasets[1].files.map((f) => f.state)).toEqual(['missing']);
    const unchecked = await listDatasets({ dir, names: ['mnist'], verify: false });
    expect(unchecked.datasets[0].files[0].state).toBe('unchecked');
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFetchError } from '@abc/eval/node';
import { REAL_DATA, realData } from '../../../packages/eval/test/fixtures/real-data.js';
import { serveFolder, type StaticServer } from '../../../packages/eval/test/fixtures/static-server.js';
import { EXIT, exitCodeFor } from '../src/errors.js';
import { main } from '../src/main.js';

// Our MNIST copies are byte-identical to the official files, so the catalogue's MD5s verify them.
const MNIST = realData('mnist', { exactCopy: true });
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
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-data-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('abc data', () => {
  it('list: every dataset of the catalogue, what is cached where, in text and JSON', async () => {
    const empty = join(dir, 'empty');
    const r = await run('data', 'list', '--dir', empty);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Data folder: ${empty} (--dir)`);
    expect(r.out).toMatch(/^mnist\s+not cached\s+11\.6 MB\s+MNIST handwritten digits/m);
    expect(r.out).toMatch(/^cifar10\s+not cached\s+170\.1 MB .*\(published checksum\)$/m);
    expect(r.out).toMatch(/^adbench\/6_cardio\s+not cached\s+\?.*\(no checksum known\)$/m);
    expect(r.out.split('\n').filter((l) => l.startsWith('adbench/'))).toHaveLength(43);
    const json = JSON.parse((await run('data', 'list', '--dir', empty, '--json')).out);
    expect(json.datasets.find((d: { name: string }) => d.name === 'kdd99').files[0].checksum).toMatchObject({
      algorithm: 'sha256',
      of: 'gunzipped',
    });
  });

  it('bad usage: no name, an unknown name, a foreign mirror, an unknown subcommand (exit 2)', async () => {
    expect((await run('data', 'fetch')).err).toMatch(/needs at least one dataset name/);
    const unknown = await run('data', 'fetch', 'mnits', '--dir', join(dir, 'x'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown dataset "mnits": known are mnist, fashion-mnist, kdd99, cifar10/);
    expect((await run('data', 'fetch', 'mnist', '--mirror', 'ftp://host/')).err).toMatch(
      /--mirror takes an http:\/\/ or https:\/\/ base address/,
    );
    expect((await run('data', 'remove')).code).toBe(2);
    expect((await run('reproduce', '--out', join(dir, 'r'), '--mirror', 'http://127.0.0.1:1/')).err).toMatch(
      /--mirror goes with --download/,
    );
  });

  it('a download that fails from every address exits 5', () => {
    expect(exitCodeFor(new DatasetFetchError('mnist', 'mnist/x.gz', 'no address answered'))).toBe(EXIT.download);
  });
});

describe.skipIf(!MNIST.dir)(`${REAL_DATA} abc data fetch from a local mirror, then abc reproduce reads it`, () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await serveFolder(MNIST.dir!);
  });
  afterAll(() => server?.close());

  it('fetch mnist --mirror writes the four verified files that reproduce then reads; a second fetch downloads nothing', async () => {
    const data = join(dir, 'fetched');
    const f = await run('data', 'fetch', 'mnist', '--mirror', `${server.base}/`, '--dir', data);
    expect(f.code, f.err).toBe(0);
    for (const name of [
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
    ]) {
      expect(f.out).toContain(`${join(data, 'mnist', name)}: `);
      expect(existsSync(join(data, 'mnist', name))).toBe(true);
    }
    expect(f.out.match(/verified/g)).toHaveLength(4);
    expect(f.out).toMatch(/4 file\(s\) downloaded \(11\.6 MB\), 0 already there/);
    expect(f.out).toMatch(/mnist[\\/]train-images-idx3-ubyte\.gz: 25% \(/); // plain progress lines off a terminal
    const listed = await run('data', 'list', '--dir', data);
    expect(listed.out).toMatch(/^mnist\s+cached, verified/m);
    const again = await run('data', 'fetch', 'mnist', '--mirror', `${server.base}/`, '--dir', data);
    expect(again.out).toMatch(/0 file\(s\) downloaded .*, 4 already there/);
    expect(server.hits.get('/mnist/train-images-idx3-ubyte.gz')).toBe(1);

    const out = join(dir, 'reproduce-fetched');
    const r = await run(
      'reproduce',
      '--datasets',
      'mnist',
      '--settings',
      '1',
      '--runs',
      '1',
      '--methods',
      'iforest',
      '--max-rows',
      '200',
      '--data-dir',
      data,
      '--out',
      out,
      '--no-report',
    );
    expect(r.code, r.err).toBe(0);
    const [rec] = (await readFile(join(out, 'runs.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rec).toMatchObject({ dataset: 'mnist', setting: 1, method: 'iforest', testSet: 'exact' });
    expect(rec.aurocUnknown).toBeGreaterThan(0.5);
  }, 120_000);

  it('reproduce --download --mirror fetches what is missing, then runs', async () => {
    const data = join(dir, 'download-on-demand');
    const out = join(dir, 'reproduce-download');
    const r = await run(
      'reproduce',
      '--datasets',
      'mnist',
      '--settings',
      '1',
      '--runs',
      '1',
      '--methods',
      'iforest',
      '--max-rows',
      '200',
      '--data-dir',
      data,
      '--download',
      '--mirror',
      `${server.base}/`,
      '--out',
      out,
      '--no-report',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`fetched ${join(data, 'mnist', 't10k-labels-idx1-ubyte.gz')}`);
    expect(existsSync(join(out, 'runs.jsonl'))).toBe(true);
  }, 120_000);
});

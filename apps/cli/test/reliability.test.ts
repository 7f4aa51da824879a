/**
 * Reliability of the `abc` command line: every bad input of fit, score and evaluate ends with a clear message
 * and a documented exit code (2 bad input, 3 unreadable model file, 4 backend unavailable), never an internal
 * error (exit 1) or a stack trace, and never a model or scores file left half-written. In-process through
 * main(); docs/reliability.md lists the rows.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, FORMAT_VERSION, Random } from '@abc/core';
import { main } from '../src/main.js';

let dir = '';
const p = (name: string) => join(dir, name);

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

function csv(n: number, seed: number, f: (rng: Random, i: number) => (string | number)[], header = 'x1,x2,label'): string {
  const rng = new Random(seed);
  return `${[header, ...Array.from({ length: n }, (_, i) => f(rng, i).join(','))].join('\n')}\n`;
}
const normalRow = (rng: Random, i: number) => [rng.normal(0, 1).toFixed(4), rng.normal(0, 1).toFixed(4), i % 5 === 0 ? 1 : 0];
const net = ['--param', 'hidden=4', '--param', 'latent=1', '--param', 'maxEpochs=3', '--param', 'seed=1'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-rel-'));
  const files: Record<string, string> = {
    'train.csv': csv(80, 1, normalRow),
    'empty.csv': '',
    'header-only.csv': 'x1,x2,label\n',
    'strings.csv': csv(20, 2, (rng, i) => [rng.normal(0, 1).toFixed(3), i === 9 ? 'oops' : '1.5', i % 5 === 0 ? 1 : 0]),
    'labels-2.csv': csv(20, 3, (_rng, i) => [1, 2, i === 4 ? 2 : 0]),
    'labels-yes.csv': csv(20, 3, (_rng, i) => [1, 2, i === 4 ? 'yes' : 0]),
    'all-anomalies.csv': csv(20, 4, (rng) => [rng.normal(0, 1).toFixed(3), 1, 1]),
    'all-normal.csv': csv(20, 4, (rng) => [rng.normal(0, 1).toFixed(3), 1, 0]),
    'inf.csv': csv(20, 5, (rng, i) => [i === 3 ? 'inf' : rng.normal(0, 1).toFixed(3), 1, i % 5 === 0 ? 1 : 0]),
    'nan.csv': csv(20, 5, (rng, i) => [i === 3 ? 'NaN' : rng.normal(0, 1).toFixed(3), 1, i % 5 === 0 ? 1 : 0]),
    'huge.csv': csv(40, 6, (rng, i) => [
      (rng.normal(0, 1) * 1e30).toExponential(4),
      rng.normal(0, 1).toFixed(3),
      i % 5 === 0 ? 1 : 0,
    ]),
    'too-big.csv': csv(20, 6, (_rng, i) => [i === 2 ? '1e39' : '0.5', 1, i % 5 === 0 ? 1 : 0]),
    'constant.csv': csv(30, 7, (_rng, i) => [7, 7, i % 5 === 0 ? 1 : 0]),
    'one-row.csv': 'x1,x2,label\n0.5,0.25,0\n',
    'one-column.csv': csv(30, 8, (rng, i) => [rng.normal(0, 1).toFixed(3), i % 5 === 0 ? 1 : 0], 'x1,label'),
    'ragged.csv': 'x1,x2,label\n1,2,0\n3,0\n',
    'only-x1.csv': 'x1,label\n1,0\n',
    'scoring-text.csv': 'x1,x2,label\n0.1,abc,0\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(p(name), text);
  const fit = await run('fit', '--data', p('train.csv'), '--label', 'label', '--detector', 'abc', ...net, '--out', p('good.abc'));
  expect(fit.code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Exit code, a message naming the problem, no stack trace, and no model written. */
function expectFailure(r: { code: number; err: string }, code: number, pattern: RegExp) {
  expect(r.code, r.err).toBe(code);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace: not an internal error
}

describe('reliability: abc fit on bad CSV files', () => {
  it('an empty file or a header without rows is exit 2 naming the file', async () => {
    expectFailure(await run('fit', '--data', p('empty.csv'), '--detector', 'ae', '--out', p('m.abc')), 2, /empty\.csv.*empty/);
    expectFailure(
      await run('fit', '--data', p('header-only.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /empty|no rows/,
    );
    expect(existsSync(p('m.abc'))).toBe(false);
  });

  it('text in a numeric column at fit is one-hot encoded (documented); at score time it is exit 2 naming line and column', async () => {
    const r = await run(
      'fit',
      '--data',
      p('strings.csv'),
      '--label',
      'label',
      '--detector',
      'abc',
      ...net,
      '--out',
      p('strings.abc'),
    );
    expect(r.code, r.err).toBe(0);
    expectFailure(
      await run('score', '--model', p('good.abc'), '--data', p('scoring-text.csv')),
      2,
      /scoring-text\.csv.*line 2.*"abc" is not a number/,
    );
  });

  it('a label column with values other than 0/1 is exit 2 naming the line', async () => {
    expectFailure(
      await run('fit', '--data', p('labels-2.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /labels-2\.csv.*line 6.*not 0\/1/,
    );
    expectFailure(
      await run('fit', '--data', p('labels-yes.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /line 6.*"yes"/,
    );
    expectFailure(
      await run('fit', '--data', p('train.csv'), '--label', 'nolabel', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /no label column "nolabel"/,
    );
  });

  it('only anomalies (no normals): supervised is exit 2; unsupervised has no normal rows to learn from, exit 2', async () => {
    expectFailure(
      await run('fit', '--data', p('all-anomalies.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /no normal row/,
    );
    expectFailure(
      await run('fit', '--data', p('all-anomalies.csv'), '--label', 'label', '--detector', 'ae', '--out', p('m.abc')),
      2,
      /empty|no rows/,
    );
    expectFailure(
      await run('fit', '--data', p('all-normal.csv'), '--label', 'label', '--detector', 'lrc', '--out', p('m.abc')),
      2,
      /no anomaly/,
    );
    // ABC accepts all-normal labels: it trains as an autoencoder (the paper's limiting case).
    expect(
      (await run('fit', '--data', p('all-normal.csv'), '--label', 'label', '--detector', 'abc', ...net, '--out', p('normal.abc')))
        .code,
    ).toBe(0);
    expect(existsSync(p('m.abc'))).toBe(false);
  });

  it('Infinity or a value beyond float32 is exit 2 naming row and column; NaN is imputed (documented)', async () => {
    expectFailure(
      await run('fit', '--data', p('inf.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /non-finite value \(Infinity\) at row 3/,
    );
    expectFailure(
      await run('fit', '--data', p('too-big.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /non-finite value \(Infinity\) at row 2/,
    );
    const nan = await run('fit', '--data', p('nan.csv'), '--label', 'label', '--detector', 'abc', ...net, '--out', p('nan.abc'));
    expect(nan.code, nan.err).toBe(0);
    expect(nan.out).toMatch(/1 missing values imputed/);
  });

  it('huge values (1e30): the default min-max scaling fits them; --scaler none is exit 2 suggesting a scaler', async () => {
    const r = await run('fit', '--data', p('huge.csv'), '--label', 'label', '--detector', 'abc', ...net, '--out', p('huge.abc'));
    expect(r.code, r.err).toBe(0);
    const s = await run('score', '--model', p('huge.abc'), '--data', p('huge.csv'));
    expect(s.code).toBe(0);
    const scores = s.out
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    expect(scores.length).toBe(40);
    expect(scores.every(Number.isFinite)).toBe(true);
    expectFailure(
      await run('fit', '--data', p('huge.csv'), '--label', 'label', '--detector', 'abc', '--scaler', 'none', '--out', p('m.abc')),
      2,
      /overflow float32.*MinMaxScaler/,
    );
    // StandardScaler handles them too.
    expect(
      (
        await run(
          'fit',
          '--data',
          p('huge.csv'),
          '--label',
          'label',
          '--detector',
          'ae',
          ...net,
          '--scaler',
          'standard',
          '--out',
          p('huge2.abc'),
        )
      ).code,
    ).toBe(0);
  });

  it('constant columns, one row and one column fit (exit 0) and score to finite numbers', async () => {
    for (const [file, detector] of [
      ['constant.csv', 'abc'],
      ['one-row.csv', 'ae'],
      ['one-row.csv', 'abc'],
      ['one-column.csv', 'dae'],
    ]) {
      const model = p(`${file}.${detector}.abc`);
      const r = await run('fit', '--data', p(file), '--label', 'label', '--detector', detector, ...net, '--out', model);
      expect(r.code, `${file} ${detector}: ${r.err}`).toBe(0);
      const s = await run('score', '--model', model, '--data', p(file));
      expect(s.code).toBe(0);
      expect(
        s.out
          .split('\n')
          .slice(1)
          .every((l) => Number.isFinite(Number(l.split(',')[0]))),
      ).toBe(true);
    }
  });

  it('ragged rows are exit 2 naming the line', async () => {
    expectFailure(
      await run('fit', '--data', p('ragged.csv'), '--label', 'label', '--detector', 'abc', '--out', p('m.abc')),
      2,
      /ragged\.csv.*line 3 has 2 fields/,
    );
  });

  it('an --out folder that does not exist is exit 2 naming the path, not an internal error', async () => {
    expectFailure(
      await run(
        'fit',
        '--data',
        p('train.csv'),
        '--label',
        'label',
        '--detector',
        'abc',
        ...net,
        '--out',
        p('no-such-dir/m.abc'),
      ),
      2,
      /no-such-dir/,
    );
    expectFailure(
      await run('score', '--model', p('good.abc'), '--data', p('train.csv'), '--out', p('no-such-dir/s.csv')),
      2,
      /no-such-dir/,
    );
  });
});

describe('reliability: abc score / evaluate with bad models and data', () => {
  it('wrong features at score time: a missing column is exit 2 naming it', async () => {
    expectFailure(
      await run('score', '--model', p('good.abc'), '--data', p('only-x1.csv')),
      2,
      /column "x2" that the model was fitted on is missing/,
    );
    expectFailure(
      await run('evaluate', '--model', p('good.abc'), '--data', p('only-x1.csv'), '--label', 'label'),
      2,
      /"x2".*missing/,
    );
  });

  it('a missing model file is exit 2 naming it (not an internal error)', async () => {
    expectFailure(await run('score', '--model', p('nope.abc'), '--data', p('train.csv')), 2, /nope\.abc/);
    expectFailure(await run('evaluate', '--model', p('nope.abc'), '--data', p('train.csv'), '--label', 'label'), 2, /nope\.abc/);
  });

  it('a truncated, edited or newer-version model file is exit 3 saying which', async () => {
    const good = new Uint8Array(await readFile(p('good.abc')));
    await writeFile(p('truncated.abc'), good.subarray(0, good.length - 16));
    const edited = good.slice();
    edited[edited.length - 3] ^= 0x20;
    await writeFile(p('edited.abc'), edited);
    const newer = good.slice();
    new DataView(newer.buffer).setUint32(4, FORMAT_VERSION + 1, true);
    await writeFile(p('newer.abc'), newer);
    expectFailure(
      await run('score', '--model', p('truncated.abc'), '--data', p('train.csv')),
      3,
      /truncated\.abc: model file is truncated/,
    );
    expectFailure(
      await run('score', '--model', p('edited.abc'), '--data', p('train.csv')),
      3,
      /edited\.abc: model file checksum mismatch/,
    );
    expectFailure(
      await run('evaluate', '--model', p('newer.abc'), '--data', p('train.csv'), '--label', 'label'),
      3,
      /format version 2 is newer.*upgrade/,
    );
    expectFailure(await run('score', '--model', p('train.csv'), '--data', p('train.csv')), 3, /not an ABC model file/);
    await writeFile(p('empty.abc'), '');
    expectFailure(await run('score', '--model', p('empty.abc'), '--data', p('train.csv')), 3, /too short/);
  });

  it('a model whose JSON header holds __proto__ (checksum fixed) is exit 3 and pollutes nothing', async () => {
    const good = new Uint8Array(await readFile(p('good.abc')));
    const h = new DataView(good.buffer).getUint32(8, true);
    const text = new TextDecoder().decode(good.subarray(12, 12 + h));
    const body = text
      .slice(0, text.lastIndexOf(',"crc32":'))
      .replace('"featureNames":', '"__proto__":{"polluted":true},"featureNames":');
    const data = good.subarray((12 + h + 7) & ~7);
    const header = new TextEncoder().encode(`${body},"crc32":${crc32(data, crc32(new TextEncoder().encode(body)))}}`);
    const start = (12 + header.length + 7) & ~7;
    const evil = new Uint8Array(start + data.length);
    evil.set(good.subarray(0, 8));
    new DataView(evil.buffer).setUint32(8, header.length, true);
    evil.set(header, 12);
    evil.set(data, start);
    await writeFile(p('proto.abc'), evil);
    expectFailure(await run('score', '--model', p('proto.abc'), '--data', p('train.csv')), 3, /forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an .onnx file that is not ours is a typed error (exit 3 or 4), never an internal error', async () => {
    // The ONNX rows proper are in onnx-reliability.test.ts.
    await writeFile(p('foreign.onnx'), Uint8Array.of(0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74));
    const r = await run('score', '--model', p('foreign.onnx'), '--data', p('train.csv'));
    expect([3, 4], r.err).toContain(r.code);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('evaluate with labels of one class only, or not 0/1, is exit 2', async () => {
    expectFailure(
      await run('evaluate', '--model', p('good.abc'), '--data', p('all-normal.csv'), '--label', 'label'),
      2,
      /only normals/,
    );
    expectFailure(
      await run('evaluate', '--model', p('good.abc'), '--data', p('all-anomalies.csv'), '--label', 'label'),
      2,
      /only anomalies/,
    );
    expectFailure(
      await run('evaluate', '--model', p('good.abc'), '--data', p('labels-2.csv'), '--label', 'label'),
      2,
      /not 0\/1/,
    );
  });

  it('a failed score writes no scores file and leaves no temporary file', async () => {
    const out = p('scores-fail.csv');
    expectFailure(await run('score', '--model', p('good.abc'), '--data', p('inf.csv'), '--out', out), 2, /non-finite/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('scores-fail'))).toEqual([]);
  });
});

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '@abc/core';
import { main } from '../src/main.js';

const root = resolve(__dirname, '../../..');
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

/** Normals near the origin, anomalies near (3, 3); a categorical column; one missing value. */
function makeCsv(n: number, seed: number): string {
  const rng = new Random(seed);
  let s = 'x1,x2,proto,label\n';
  for (let i = 0; i < n; i++) {
    const a = i % 5 === 0;
    const x = a ? rng.normal(3, 0.3) : rng.normal(0, 0.5);
    const y = a ? rng.normal(3, 0.3) : rng.normal(0, 0.5);
    s += `${x.toFixed(5)},${i === 7 ? '' : y.toFixed(5)},${i % 2 ? 'tcp' : 'udp'},${a ? 1 : 0}\n`;
  }
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-fit-'));
  await writeFile(join(dir, 'train.csv'), makeCsv(600, 1));
  await writeFile(join(dir, 'test.csv'), makeCsv(300, 2));
  // Columns in another order, an extra column, no label: scoring picks the fit-time columns by name.
  const lines = makeCsv(50, 3)
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  await writeFile(join(dir, 'reordered.csv'), `${lines.map((f) => [f[2], 'extra', f[1], f[0]].join(',')).join('\n')}\n`);
  await writeFile(join(dir, 'missing-col.csv'), 'x1,proto\n0.1,tcp\n');
  await writeFile(join(dir, 'ragged.csv'), 'x1,x2,proto,label\n0.1,0.2,tcp,0\n0.3,tcp,1\n');
  await writeFile(join(dir, 'badlabel.csv'), 'x1,x2,proto,label\n0.1,0.2,tcp,0\n0.3,0.1,tcp,2\n');
  await writeFile(join(dir, 'text.csv'), 'x1,x2,proto,label\n0.1,abc,tcp,0\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fitArgs = ['--param', 'hidden=8,8', '--param', 'latent=2', '--param', 'maxEpochs=40', '--param', 'seed=1'];

describe('abc fit / score / evaluate', () => {
  it('fits ABC from a CSV with a categorical column and a missing value, scores and evaluates it', async () => {
    const model = join(dir, 'abc.model');
    const f = await run(
      'fit',
      '--data',
      join(dir, 'train.csv'),
      '--label',
      'label',
      '--detector',
      'abc',
      ...fitArgs,
      '--out',
      model,
    );
    expect(f.err).toBe('');
    expect(f.code).toBe(0);
    expect(f.out).toMatch(/480 normal, 120 known anomalies\); 1 missing values imputed/);
    const s = await run('score', '--model', model, '--data', join(dir, 'test.csv'), '--out', join(dir, 'scores.csv'));
    expect(s.code).toBe(0);
    const rows = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('score,label');
    expect(rows.length).toBe(301);
    for (const r of rows.slice(1)) {
      const [score, label] = r.split(',').map(Number);
      expect(score >= 0 && score <= 1).toBe(true);
      expect(label).toBe(score > 0.5 ? 1 : 0);
    }
    expect(await readdir(dir)).not.toContain(expect.stringMatching(/\.tmp$/));
    const e = await run('evaluate', '--model', model, '--data', join(dir, 'test.csv'), '--label', 'label', '--json');
    expect(e.code).toBe(0);
    const m = JSON.parse(e.out);
    expect(m.rows).toBe(300);
    expect(m.auroc).toBeGreaterThan(0.95);
    expect(m.confusion.tp + m.confusion.fn).toBe(60);
  });

  it('picks columns by name, ignores extra ones, and names a missing one', async () => {
    const model = join(dir, 'ae.model');
    expect(
      (await run('fit', '--data', join(dir, 'train.csv'), '--label', 'label', '--detector', 'ae', ...fitArgs, '--out', model))
        .code,
    ).toBe(0);
    const s = await run('score', '--model', model, '--data', join(dir, 'reordered.csv'));
    expect(s.code).toBe(0);
    expect(s.out.split('\n').length).toBe(51);
    const miss = await run('score', '--model', model, '--data', join(dir, 'missing-col.csv'));
    expect(miss.code).toBe(2);
    expect(miss.err).toMatch(/missing-col\.csv: column "x2" that the model was fitted on is missing/);
  });

  it('streams in chunks with the same result as one pass', async () => {
    const model = join(dir, 'abc.model');
    const one = await run('score', '--model', model, '--data', join(dir, 'test.csv'));
    const chunked = await run('score', '--model', model, '--data', join(dir, 'test.csv'), '--chunk-rows', '7');
    expect(chunked.out).toBe(one.out);
  });

  it('gives bad CSV files a clear error with the file, line and column (exit 2)', async () => {
    const model = join(dir, 'bad.model');
    const ragged = await run('fit', '--data', join(dir, 'ragged.csv'), '--label', 'label', '--detector', 'abc', '--out', model);
    expect(ragged.code).toBe(2);
    expect(ragged.err).toMatch(/ragged\.csv.*line 3/);
    const label = await run('fit', '--data', join(dir, 'badlabel.csv'), '--label', 'label', '--detector', 'abc', '--out', model);
    expect(label.code).toBe(2);
    expect(label.err).toMatch(/badlabel\.csv.*line 3.*label/);
    const nofile = await run('fit', '--data', join(dir, 'nope.csv'), '--label', 'label', '--detector', 'abc', '--out', model);
    expect(nofile.code).toBe(2);
    expect(nofile.err).toMatch(/nope\.csv/);
    expect(existsSync(model)).toBe(false);
    const badModel = join(dir, 'notamodel.abc');
    await writeFile(badModel, 'hello');
    const s = await run('score', '--model', badModel, '--data', join(dir, 'test.csv'));
    expect(s.code).toBe(3);
    expect(s.err).toMatch(/notamodel\.abc: not an ABC model file/);
    const p = await run(
      'fit',
      '--data',
      join(dir, 'train.csv'),
      '--label',
      'label',
      '--detector',
      'abc',
      '--param',
      'latnt=2',
      '--out',
      model,
    );
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/unknown parameter "latnt"/);
    const d = await run('fit', '--data', join(dir, 'train.csv'), '--detector', 'nosuch', '--out', model);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/unknown detector "nosuch"/);
  });

  it('exports to ONNX and scores the .onnx like the saved model; cuda without its provider is exit 4', async () => {
    const numeric = join(dir, 'numeric.csv');
    const lines = makeCsv(400, 5)
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    await writeFile(numeric, `${lines.map((f) => [f[0], f[1] === '' ? '0' : f[1], f[3]].join(',')).join('\n')}\n`);
    const model = join(dir, 'numeric.abc');
    expect((await run('fit', '--data', numeric, '--label', 'label', '--detector', 'abc', ...fitArgs, '--out', model)).code).toBe(
      0,
    );
    const onnx = join(dir, 'numeric.onnx');
    const ex = await run('export', '--model', model, '--out', onnx);
    expect(ex.err).toBe('');
    expect(ex.out).toMatch(/exported the pipeline \(2 features\)/);
    const a = (await run('score', '--model', model, '--data', numeric)).out.split('\n').slice(1);
    const b = await run('score', '--model', onnx, '--data', numeric, '--backend', 'wasm');
    expect(b.code).toBe(0);
    const rowsB = b.out.split('\n').slice(1);
    expect(rowsB.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      const [sa, la] = a[i].split(',').map(Number);
      const [sb, lb] = rowsB[i].split(',').map(Number);
      expect(Math.abs(sa - sb)).toBeLessThan(1e-4);
      if (Math.abs(sa - 0.5) > 1e-4) expect(lb).toBe(la);
    }
    const cuda = await run('score', '--model', onnx, '--data', numeric, '--backend', 'cuda');
    expect(cuda.code).toBe(4);
    expect(cuda.err).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const fallback = await run('score', '--model', onnx, '--data', numeric, '--backend', 'cuda', '--fallback', 'cpu');
    expect(fallback.code).toBe(0);
    expect(fallback.out.split('\n').length).toBe(a.length + 1);
    const wrong = await run('score', '--model', model, '--data', numeric, '--backend', 'cpu');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--backend and --fallback apply to \.onnx models/);
    const encoded = await run('export', '--model', join(dir, 'abc.model'), '--out', join(dir, 'encoded.onnx'));
    expect(encoded.code).toBe(2);
    expect(encoded.err).toMatch(/cannot be exported to ONNX/);
    expect(existsSync(join(dir, 'encoded.onnx'))).toBe(false);
  }, 120_000);

  it('Ctrl-C stops a fit cleanly: exit 130, no model file, no temporary file', async () => {
    const model = join(dir, 'interrupted.model');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@abc/source',
        join(root, 'apps/cli/src/main.ts'),
        'fit',
        '--data',
        join(dir, 'train.csv'),
        '--label',
        'label',
        '--detector',
        'abc',
        '--param',
        'maxEpochs=100000',
        '--param',
        'patience=100000',
        '--param',
        'hidden=64,64',
        '--out',
        model,
      ],
      { cwd: root },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const sent = new Promise<void>((ok) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/epoch 2\//.test(stderr) && !child.killed) {
          child.kill('SIGINT');
          ok();
        }
      }),
    );
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    await sent;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: the fit was stopped and no model was written/);
    expect(existsSync(model)).toBe(false);
    expect((await readdir(dir)).some((f) => f.includes('interrupted'))).toBe(false);
    void stdout;
  }, 60_000);
});

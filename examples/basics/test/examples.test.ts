import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Runs every example as a user would (tsx from source, through the @abc/source condition) and checks what it
// prints, so `pnpm test` keeps them working. Each takes a second or two.

const here = resolve(__dirname, '..');
const root = resolve(here, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

async function runExample(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, ['--conditions=@abc/source', join(here, 'src', file), ...args], {
    cwd: here,
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  return stdout;
}

const num = (out: string, re: RegExp) => Number(out.match(re)?.[1]);

describe('examples/basics', () => {
  it('(a) fit-score-csv: fits iforest on data/train.csv and scores data/test.csv', async () => {
    const out = await runExample('fit-score-csv.ts');
    expect(out).toContain('detector iforest: fitted on 210 rows of temperature, vibration');
    expect(num(out, /auroc ([\d.]+) on 50 test rows/)).toBeGreaterThanOrEqual(0.95);
    // the five most anomalous rows are anomalies (label 1)
    const top = [...out.matchAll(/^row \d+: score [\d.]+ label (\d)$/gm)].map((m) => m[1]);
    expect(top).toEqual(['1', '1', '1', '1', '1']);
  });

  it('(a) fit-score-csv takes another detector by name', async () => {
    const out = await runExample('fit-score-csv.ts', join(here, 'data/train.csv'), join(here, 'data/test.csv'), 'gtb');
    expect(out).toContain('detector gtb:');
    expect(num(out, /auroc ([\d.]+)/)).toBeGreaterThanOrEqual(0.7);
  });

  it('(b) pipeline-scaler: MinMaxScaler -> ABC, known and unknown anomalies score high, save/load is exact', async () => {
    const out = await runExample('pipeline-scaler.ts');
    expect(out).toContain('pipeline: minmax -> abc');
    expect(num(out, /auroc ([\d.]+)/)).toBeGreaterThanOrEqual(0.95);
    const normal = num(out, /normal ([\d.]+)/);
    expect(num(out, /known anomalies ([\d.]+)/)).toBeGreaterThan(normal);
    expect(num(out, /unknown anomalies ([\d.]+)/)).toBeGreaterThan(normal);
    expect(out).toContain('saved and loaded: identical scores');
  });

  it('(c) onnx-twin: the ONNX twin scores and flags like the trained pipeline', async () => {
    const out = await runExample('onnx-twin.ts');
    expect(out).toMatch(/outputs score, reconstruction_error, label/);
    expect(num(out, /max \|score difference\| ([\d.e+-]+);/)).toBeLessThan(1e-5);
    expect(out).toContain('same flags: true');
    expect(out).toMatch(/trained flags rows (\d+,)*4[0-4]/);
  });

  it('the README example is src/readme.ts, verbatim, and it runs', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const code = (await readFile(join(here, 'src/readme.ts'), 'utf8')).trim();
    expect(readme).toContain(`\`\`\`ts\n${code}\n\`\`\``);
    const out = await runExample('readme.ts');
    const m = out.match(/\[ '([\d.]+)', '([\d.]+)' \] \[ (\d), (\d) \]/);
    expect(m, out).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
    expect([m![3], m![4]]).toEqual(['0', '1']);
  });

  it('the Python example is documentation only (no Python onnxruntime here) and follows the file contract', async () => {
    const py = await readFile(join(here, 'python/score_onnxruntime.py'), 'utf8');
    expect(py).toMatch(/import onnxruntime as ort/);
    expect(py).toMatch(/"X"/);
    expect(py).toMatch(/"score"/);
  });
});

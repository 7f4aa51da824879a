import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToyData, type ToyData } from '@abc/eval';
import { main } from '../src/main.js';

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

function csv(parts: [ToyData['normal'], number][]): string {
  let s = 'x,y,label\n';
  for (const [m, label] of parts) for (let i = 0; i < m.rows; i++) s += `${m.data[2 * i]},${m.data[2 * i + 1]},${label}\n`;
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-search-'));
  const train = makeToyData({ nPerClass: 1000, seed: 21 });
  const test = makeToyData({ nPerClass: 1000, seed: 22 });
  await writeFile(
    join(dir, 'train.csv'),
    csv([
      [train.normal, 0],
      [train.known, 1],
    ]),
  );
  await writeFile(
    join(dir, 'known.csv'),
    csv([
      [test.normal, 0],
      [test.known, 1],
    ]),
  );
  await writeFile(
    join(dir, 'unknown.csv'),
    csv([
      [test.normal, 0],
      [test.unknown, 1],
    ]),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('abc search', () => {
  it('over abc, dnn, gtb and ae on the 2-D toy data picks a model with known and unknown AUROC >= 0.95 (only ABC does both)', async () => {
    const out = join(dir, 'search');
    const args = [
      'search',
      '--data',
      join(dir, 'train.csv'),
      '--label',
      'label',
      '--detectors',
      'abc,dnn,gtb,ae',
      '--budget',
      '2',
      '--scaler',
      'none',
      '--seed',
      '3',
      '--param',
      'abc.hidden=10,10',
      '--param',
      'abc.latent=1',
      '--param',
      'ae.hidden=10,10',
      '--param',
      'ae.latent=1',
      '--param',
      'dnn.hidden=10,10',
      '--out',
      out,
    ];
    const r = await run(...args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/candidates: abc, dnn, gtb, ae; stratified split/);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.best.detector).toBe('abc');
    const trials = (await readFile(join(out, 'trials.csv'), 'utf8')).trim().split('\n');
    expect(trials.length).toBe(1 + 8);
    const model = join(out, 'best.abc');
    const known = JSON.parse(
      (await run('evaluate', '--model', model, '--data', join(dir, 'known.csv'), '--label', 'label', '--json')).out,
    );
    const unknown = JSON.parse(
      (await run('evaluate', '--model', model, '--data', join(dir, 'unknown.csv'), '--label', 'label', '--json')).out,
    );
    expect(known.auroc).toBeGreaterThanOrEqual(0.95);
    expect(unknown.auroc).toBeGreaterThanOrEqual(0.95);
    // Rerunning resumes from trials.jsonl: nothing is refitted but the best, and the pick is the same.
    const again = await run(...args);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/resuming: 8 trials recorded/);
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).best.key).toBe(summary.best.key);
    expect((await readFile(join(out, 'trials.jsonl'), 'utf8')).trim().split('\n').length).toBe(8);
  }, 240_000);

  it('names bad flags and unknown detectors (exit 2)', async () => {
    const base = ['search', '--data', join(dir, 'train.csv'), '--label', 'label', '--out', join(dir, 'bad')];
    expect((await run(...base, '--detectors', 'abc,nosuch')).err).toMatch(/unknown detector "nosuch"/);
    expect((await run(...base, '--validation', 'kfold:1')).err).toMatch(/kfold:K needs an integer K >= 2/);
    expect((await run(...base, '--param', 'hidden=3')).err).toMatch(/DETECTOR\.key=value/);
    expect((await run(...base, '--budget', '0')).code).toBe(2);
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDetector } from '@abc/core';
import type { ExperimentRecord, Results } from '@abc/eval';
import { runReproduce } from '../src/commands/reproduce.js';
import { exitCodeFor } from '../src/errors.js';
import { flags } from './fixtures/flags.js';
import { REAL_DATA, realData } from '../../../packages/eval/test/fixtures/real-data.js';

/** The real datasets (../shared/datasets in CI; else ABC_DATA_DIR or the cache, else these tests skip). */
const MNIST = realData('mnist', { exactCopy: true });
// The lossy JPEG test set is in the project's copy only.
const CIFAR = realData('cifar10', { exactCopy: true });
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-reproduce-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function reproduce(argv: string[], signal?: AbortSignal) {
  const out: string[] = [];
  let code: number;
  try {
    code = await runReproduce(argv, (s) => out.push(s), { signal, stderr: { isTTY: false, write: () => true } });
  } catch (e) {
    return { code: exitCodeFor(e), out, error: e as Error };
  }
  return { code, out, error: undefined };
}

async function records(outDir: string): Promise<ExperimentRecord[]> {
  return (await readFile(join(outDir, 'runs.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExperimentRecord);
}

const optional = ['iforest', 'gtb'].filter((m) => hasDetector(m));

describe('abc reproduce', () => {
  it('reproduces the 2-D toy data end to end (settings 1-3, two runs), resumes, and writes the reports', async () => {
    const out = join(dir, 'toy');
    const methods = ['abc-ae', 'ae', ...optional].join(',');
    const argv = flags({
      datasets: 'toy2d',
      settings: '1,2,3',
      runs: '2',
      methods,
      'toy-size': '300',
      'max-epochs': '3',
      'known-counts': '10,100,all',
      out,
    });
    const first = await reproduce(argv);
    expect(first.error).toBeUndefined();
    expect(first.code).toBe(0);
    const nSup = 1 + (optional.includes('gtb') ? 1 : 0);
    const nUnsup = 1 + (optional.includes('iforest') ? 1 : 0);
    const perRun = 2 * (nSup + nUnsup) + 3 * nSup + nUnsup;
    const total = 2 * perRun;
    // One progress line per finished run.
    const lines = first.out.filter((l) => /^\[\s*\d+\/\d+\] toy2d setting/.test(l));
    expect(lines).toHaveLength(total);
    expect(lines[0]).toMatch(
      /toy2d setting 1 abc-ae \(ABC\(AE\)\) run 0: AUROC A \d\.\d{3} U \d\.\d{3}\s+fit [\d.]+ s, 3 epochs/,
    );
    const recs = await records(out);
    expect(recs).toHaveLength(total);
    const abc = recs.find((r) => r.method === 'abc-ae' && r.setting === 1)!;
    expect(abc).toMatchObject({ dataset: 'toy2d', nKnown: 300, testSet: 'generated', epochs: 3 });
    expect(abc.params).toMatchObject({
      variant: 'ae',
      hidden: [10, 10],
      latent: 1,
      maxEpochs: 3,
      validationFraction: 0.2,
      scaler: 'none',
      toySize: 300,
      distance: 'meanSquared',
    });
    expect(recs.find((r) => r.method === 'ae' && r.setting === 3)!.nKnown).toBe(0);
    expect(recs.filter((r) => r.method === 'abc-ae' && r.setting === 3 && r.run === 0).map((r) => r.nKnown)).toEqual([
      10, 100, 300,
    ]);
    if (optional.includes('iforest')) expect(recs.find((r) => r.method === 'iforest')!.epochs).toBeNull();
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.runs).toHaveLength(total);
    expect(results.cells.find((c) => c.method === 'abc-ae' && c.setting === 1)!.n).toBe(2);
    for (const f of ['report.md', 'report.html', 'figures/figure3.svg', 'figures/figure4-toy2d.svg'])
      expect(existsSync(join(out, f))).toBe(true);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:\/\//);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2D-Toy \| A \| [\d.]+ \([\d.]+\) \[0\.965\]/);

    // The same command again: nothing is redone.
    const again = await reproduce(argv);
    expect(again.code).toBe(0);
    expect(again.out.join('\n')).toContain(`0 runs done, ${total} already recorded`);
    expect(await records(out)).toHaveLength(total);
  });

  it('stops on its signal with exit code 130, and the rerun finishes the rest', async () => {
    const out = join(dir, 'abort');
    const argv = flags({
      datasets: 'toy2d',
      settings: '1',
      runs: '3',
      methods: 'abc-ae,ae',
      'toy-size': '200',
      'max-epochs': '2',
      out,
      'no-report': true,
    });
    const ac = new AbortController();
    const outLines: string[] = [];
    let code = 0;
    try {
      await runReproduce(
        argv,
        (s) => {
          outLines.push(s);
          if (/^\[\s*2\/6\]/.test(s)) ac.abort();
        },
        { signal: ac.signal, stderr: { isTTY: false, write: () => true } },
      );
    } catch (e) {
      code = exitCodeFor(e);
      expect((e as Error).message).toMatch(/rerun the same command to resume/);
    }
    expect(code).toBe(130);
    expect(await records(out)).toHaveLength(2);
    // --report-only writes the tables of what is recorded, running nothing.
    expect(existsSync(join(out, 'report.md'))).toBe(false);
    const partial = await reproduce(['--out', out, '--report-only']);
    expect(partial.code).toBe(0);
    expect(partial.out.join('\n')).toMatch(/Wrote .*report\.md/);
    expect(await records(out)).toHaveLength(2);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/2D-Toy/);
    const rest = await reproduce(argv);
    expect(rest.out.join('\n')).toContain('4 runs done, 2 already recorded');
    expect(await records(out)).toHaveLength(6);
  });

  it('names methods that are not registered', async () => {
    const missing = ['dnn', 'svm', 'ocsvm'].find((m) => !hasDetector(m));
    if (missing) {
      const r = await reproduce(
        flags({
          datasets: 'toy2d',
          settings: '1',
          runs: '1',
          methods: `ae,${missing}`,
          'toy-size': '150',
          out: join(dir, 'missing'),
        }),
      );
      expect(r.code).toBe(2);
      expect(r.error!.message).toContain(`method ${missing} is not registered`);
    }
    const bad = await reproduce(
      flags({
        datasets: 'toy2d',
        settings: '1',
        runs: '1',
        methods: 'abc',
        'toy-size': '150',
        'max-epochs': '1',
        out: join(dir, 'bad'),
      }),
    );
    // `abc` is a registered detector's name, so it is accepted as a method; a typo is not.
    expect(bad.error).toBeUndefined();
    const typo = await reproduce(
      flags({ datasets: 'toy2d', settings: '1', runs: '1', methods: 'abc-aee', 'toy-size': '150', out: join(dir, 'typo') }),
    );
    expect(typo.code).toBe(2);
    expect(typo.error!.message).toMatch(/unknown method "abc-aee"/);
    const usage = await reproduce(['--datasets', 'toy3d', '--settings', '1', '--runs', '1', '--out', join(dir, 'u')]);
    expect(usage.code).toBe(2);
    expect(usage.error!.message).toMatch(/unknown dataset "toy3d"/);
  }, 120_000);

  it("runs PyOD's classics and XGBOD as extra methods beside the paper's (registered names)", async () => {
    const out = join(dir, 'classics');
    const extra = ['hbos', 'ecod', 'copod', 'knn', 'lof', 'xgbod'];
    const r = await reproduce(
      flags({
        datasets: 'toy2d',
        settings: '1',
        runs: '1',
        methods: ['abc-ae', ...extra].join(','),
        'toy-size': '150',
        'max-epochs': '2',
        'no-report': true,
        out,
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    const recs = await records(out);
    expect(recs.map((x) => x.method).sort()).toEqual(['abc-ae', ...extra].sort());
    for (const rec of recs) {
      expect(rec.aurocKnown).toBeGreaterThan(0.5);
      expect(rec.aurocUnknown).toBeGreaterThanOrEqual(0);
    }
    // The supervised XGBOD saw the known anomalies' labels: it separates them from the normals.
    expect(recs.find((x) => x.method === 'xgbod')!.aurocKnown).toBeGreaterThan(0.9);
  });

  it('runs `all` with what is registered and notes the rest', async () => {
    const out = join(dir, 'all');
    const r = await reproduce(
      flags({ datasets: 'toy2d', settings: '1', runs: '1', methods: 'all', 'toy-size': '150', 'max-epochs': '2', out }),
    );
    expect(r.error).toBeUndefined();
    const ran = new Set((await records(out)).map((x) => x.method));
    for (const m of ['abc-ae', 'abc-dae', 'lrc', 'ae', 'dae']) expect(ran.has(m)).toBe(true);
    expect(ran.has('abc-ae-l2')).toBe(false);
    const notRegistered = ['dnn', 'svm', 'ocsvm', 'gtb', 'rusboost', 'iforest'].filter((m) => !hasDetector(m));
    for (const m of notRegistered) expect(r.out.join('\n')).toContain(`warning: method ${m} is not registered`);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    for (const m of notRegistered) expect(md).toContain(`method ${m} is not registered`);
    // Figure 5 (LRC vs ABC) comes from the histories of setting 1, run 0.
    expect(existsSync(join(out, 'figures', 'figure5.svg'))).toBe(true);
  }, 120_000);

  it.skipIf(!MNIST.dir)(
    `${REAL_DATA} reproduces MNIST end to end on reduced sizes from the real files`,
    async () => {
      const out = join(dir, 'mnist');
      const r = await reproduce(
        flags({
          datasets: 'mnist',
          settings: '1,2,3',
          runs: '1',
          methods: ['abc-ae', 'ae', ...optional.filter((m) => m === 'iforest')].join(','),
          'max-rows': '200',
          'max-epochs': '2',
          'known-counts': '10,all',
          'data-dir': MNIST.dir!,
          out,
        }),
      );
      expect(r.error).toBeUndefined();
      const recs = await records(out);
      const s1 = recs.find((x) => x.method === 'abc-ae' && x.setting === 1)!;
      expect(s1).toMatchObject({ dataset: 'mnist', testSet: 'exact', nKnown: 200, epochs: 2 });
      expect(s1.params).toMatchObject({ hidden: [300, 100], latent: 20, maxEpochs: 2, scaler: 'minmax', maxRowsPerPart: 200 });
      expect(recs.filter((x) => x.setting === 3 && x.method === 'abc-ae').map((x) => x.nKnown)).toEqual([10, 200]);
      expect(recs.find((x) => x.setting === 2 && x.method === 'ae')).toBeDefined();
      const datasets = JSON.parse(await readFile(join(out, 'datasets.json'), 'utf8'));
      expect(datasets.mnist).toMatchObject({
        D: 784,
        sizes: { trainNormal: 200, trainKnown: 200, testUnknown: 200 },
        testSet: 'exact',
      });
      const md = await readFile(join(out, 'report.md'), 'utf8');
      expect(md).toContain('| MNIST | 784 [784] | 200 [17,791]');
      expect(existsSync(join(out, 'figures', 'figure4-mnist.svg'))).toBe(true);
    },
    120_000,
  );

  it.skipIf(!CIFAR.dir)(
    `${REAL_DATA} reproduces CIFAR-10 end to end on reduced sizes, marking the lossy JPEG test set (or the hold-out)`,
    async () => {
      const out = join(dir, 'cifar');
      const r = await reproduce(
        flags({
          datasets: 'cifar10',
          settings: '1',
          runs: '1',
          methods: 'abc-ae',
          'max-rows': '150',
          'max-epochs': '2',
          'data-dir': CIFAR.dir!,
          out,
        }),
      );
      expect(r.error).toBeUndefined();
      const [rec] = await records(out);
      expect(rec).toMatchObject({ dataset: 'cifar10', testSet: 'lossy-jpeg', nKnown: 150 });
      expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/lossy-jpeg: the CIFAR-10 test images are JPEG/);
      const held = join(dir, 'cifar-holdout');
      const h = await reproduce(
        flags({
          datasets: 'cifar10',
          settings: '1',
          runs: '1',
          methods: 'abc-ae',
          'max-rows': '100',
          'max-epochs': '1',
          'cifar-test': 'holdout',
          'data-dir': CIFAR.dir!,
          out: held,
          'no-report': true,
        }),
      );
      expect(h.error).toBeUndefined();
      expect((await records(held))[0].testSet).toBe('holdout');
      // Another option on the same folder is refused rather than mixed in.
      const mixed = await reproduce(
        flags({
          datasets: 'cifar10',
          settings: '1',
          runs: '1',
          methods: 'abc-ae',
          'max-rows': '100',
          'max-epochs': '1',
          'data-dir': CIFAR.dir!,
          out: held,
        }),
      );
      expect(mixed.code).toBe(2);
      expect(mixed.error!.message).toMatch(/other options \(cifarTestSet/);
    },
    120_000,
  );

  it('a missing dataset names `abc data fetch NAME` (and --download)', async () => {
    const saved = process.env.ABC_DATA_DIR;
    process.env.ABC_DATA_DIR = join(dir, 'empty-data');
    try {
      const r = await reproduce(
        flags({ datasets: 'toy2d,mnist', settings: '1', runs: '1', 'toy-size': '150', out: join(dir, 'nodata') }),
      );
      expect(r.code).toBe(2);
      expect(r.error!.message).toMatch(
        /mnist not found \(missing .*train-images-idx3-ubyte\.gz.*\): fetch with `abc data fetch mnist` \(or rerun with --download\)/,
      );
    } finally {
      if (saved === undefined) delete process.env.ABC_DATA_DIR;
      else process.env.ABC_DATA_DIR = saved;
    }
  });
});

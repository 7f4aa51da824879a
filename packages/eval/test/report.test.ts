import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aggregateResults,
  boldMask,
  buildTable2,
  formatCell,
  inlineSvg,
  PAPER_TABLE2,
  paperValue,
  percentiles,
  renderReport,
  renderSvg,
  TOY_GRID,
  type ExperimentRecord,
} from '../src/index.js';
import { writeReport } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';

function rec(
  dataset: string,
  setting: 1 | 2 | 3,
  method: string,
  run: number,
  a: number,
  u: number,
  nKnown = 100,
): ExperimentRecord {
  return {
    dataset,
    setting,
    method,
    run,
    seed: run,
    nKnown,
    testSet: dataset === 'cifar10' ? 'lossy-jpeg' : 'generated',
    aurocKnown: a,
    aurocUnknown: u,
    auprKnown: a,
    auprUnknown: u,
    epochs: method.startsWith('abc') ? 10 : null,
    fitSeconds: 1,
    scoreSeconds: 0.1,
    params: {},
  };
}

describe('the bold rule of Table 2', () => {
  it("bolds the best and those not different from it under Welch's t-test at p = 0.05", () => {
    expect(
      boldMask([
        [0.96, 0.97, 0.98],
        [0.95, 0.97, 0.99],
        [0.8, 0.81, 0.82],
      ]),
    ).toEqual([true, true, false]);
    // Close means but tiny variance: different.
    expect(
      boldMask([
        [0.9, 0.901, 0.9],
        [0.85, 0.851, 0.85],
      ]),
    ).toEqual([true, false]);
    // Ties of the best mean are all best.
    expect(
      boldMask([
        [0.5, 0.6],
        [0.6, 0.5],
        [0.1, 0.2],
      ]),
    ).toEqual([true, true, false]);
  });

  it('with zero std on both sides, equal means are not different and unequal ones are different', () => {
    expect(
      boldMask([
        [1, 1, 1],
        [1, 1, 1],
        [0.999, 0.999, 0.999],
      ]),
    ).toEqual([true, true, false]);
    // One zero std only: the t-test decides (here not different).
    expect(
      boldMask([
        [1, 1, 1],
        [0.99, 1, 0.98],
      ]),
    ).toEqual([true, true]);
  });

  it('with one run the std and the t-test are n/a: only the best is bold', () => {
    expect(boldMask([[0.9], [0.89], [0.5]])).toEqual([true, false, false]);
    const runs = [rec('toy2d', 1, 'abc-ae', 0, 0.9, 1), rec('toy2d', 1, 'ae', 0, 0.85, 1)];
    const t = buildTable2(runs, 1);
    expect(t.testNotApplicable).toBe(true);
    const cell = t.rows[0].cells[0]!;
    expect(formatCell(cell)).toBe('0.900 (n/a) [0.965]');
    expect(t.rows[0].cells.map((c) => c!.bold)).toEqual([true, false]);
    expect(t.rows[1].cells.map((c) => c!.bold)).toEqual([true, true]); // U: equal means
  });

  it("formats cells as the paper's layout with the paper's value beside ours", () => {
    const runs = [0.96, 0.965, 0.958, 0.97, 0.959].map((a, i) => rec('toy2d', 1, 'abc-ae', i, a, 1));
    const t = buildTable2(runs, 1, { methods: ['abc-ae', 'dnn'] });
    expect(t.methods).toEqual(['abc-ae', 'dnn']);
    expect(t.rows.map((r) => `${r.dataset}:${r.kind}`)).toEqual(['toy2d:A', 'toy2d:U']);
    expect(formatCell(t.rows[0].cells[0]!, ['**', '**'])).toBe('**0.962 (0.005)** [0.965]');
    expect(t.rows[0].cells[1]).toBeNull();
    expect(formatCell(t.rows[1].cells[0]!)).toBe('1.000 (0.000) [1.000]');
  });

  it("holds the paper's Table 2 for settings 1 and 2", () => {
    expect(paperValue(1, 'cifar10', 'abc-ae', 'A')).toEqual({ mean: 0.847, std: 0.008 });
    expect(paperValue(2, 'cifar10', 'iforest', 'A')).toEqual({ mean: 0.503, std: 0.016 });
    expect(paperValue(1, 'toy2d', 'dnn', 'U')).toEqual({ mean: 0, std: 0.001 });
    expect(paperValue(2, 'kdd99', 'dnn', 'U')).toEqual({ mean: 0.598, std: 0.185 });
    expect(paperValue(3, 'mnist', 'abc-ae', 'A')).toBeUndefined();
    for (const s of [1, 2] as const)
      for (const d of ['toy2d', 'mnist', 'kdd99', 'cifar10']) expect(Object.keys(PAPER_TABLE2[s][d])).toHaveLength(11);
  });
});

describe('figures', () => {
  it('renders Vega-Lite to SVG in Node without a browser or canvas', async () => {
    const svg = await renderSvg({
      data: {
        values: [
          { a: 1, b: 2 },
          { a: 2, b: 3 },
        ],
      },
      mark: 'line',
      encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(inlineSvg(svg)).not.toMatch(/https?:/);
    expect(percentiles([3, 1, 2, 2])).toEqual([1, 0, 0.5, 0.5]);
  });
});

describe('the report', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const runs: ExperimentRecord[] = [];
  for (let r = 0; r < 3; r++) {
    for (const [m, a, u] of [
      ['abc-ae', 0.96, 0.99],
      ['ae', 0.86, 1],
      ['gtb', 0.97, 0.01],
      ['abc-ae-l2', 0.9, 0.98],
    ] as const) {
      runs.push(rec('toy2d', 1, m, r, a + r * 0.001, u));
      runs.push(rec('toy2d', 2, m, r, a - 0.01 + r * 0.002, u));
      runs.push(rec('cifar10', 1, m, r, a - 0.1 + r * 0.003, u - 0.2));
    }
    for (const n of [10, 100, 1000]) {
      runs.push(rec('mnist', 3, 'abc-ae', r, 0.9 + n / 20000, 0.8, n));
      runs.push(rec('mnist', 3, 'gtb', r, 0.8 + n / 10000, 0.7, n));
    }
    runs.push(rec('mnist', 3, 'ae', r, 0.96, 0.89, 0));
  }
  const steps = TOY_GRID.steps;
  const grid = {
    ...TOY_GRID,
    scores: Array.from({ length: steps * steps }, (_, i) => Math.hypot((i % steps) - 20, Math.floor(i / steps) - 20)),
  };
  const history = Array.from({ length: 12 }, (_, i) => ({
    epoch: i + 1,
    loss: 1,
    lossNormal: 1 / (i + 1),
    lossAnomaly: 2 - i / 10,
    errorNormal: null,
    errorAnomaly: null,
  }));
  const points = {
    normal: [[0, 1] as [number, number]],
    known: [[1, -0.5] as [number, number]],
    unknown: [[-3, 3] as [number, number]],
  };

  it('renders Markdown and a self-contained HTML page with Table 2, the ablation rows and Figures 3-5 as inline SVG', async () => {
    const results = aggregateResults(runs);
    const report = await renderReport({
      results,
      datasets: {
        toy2d: {
          D: 2,
          sizes: { trainNormal: 500, trainKnown: 500, testNormal: 500, testKnown: 500, testUnknown: 500 },
          testSet: 'generated',
        },
        cifar10: {
          D: 3072,
          sizes: { trainNormal: 5000, trainKnown: 5000, testNormal: 1000, testKnown: 1000, testUnknown: 1000 },
          testSet: 'lossy-jpeg',
        },
      },
      artifacts: { points, grids: { 'abc-ae': grid, ae: grid }, histories: { 'abc-ae': history, lrc: history } },
      notes: ['method dnn is not registered (no detector "dnn" in the registry)'],
    });
    const md = report.markdown;
    expect(md).toContain('## Table 2, setting 1: AUROC mean (std) over runs');
    expect(md).toContain('## Table 2, setting 2');
    expect(md).toMatch(/\| data \| \| ABC\(AE\) \| GTB \| AE \|\n/);
    expect(md).toMatch(
      /\| 2D-Toy \| A \| 0\.961 \(0\.001\) \[0\.965\] \| \*\*0\.971 \(0\.001\)\*\* \[0\.972\] \| 0\.861 \(0\.001\) \[0\.859\] \|/,
    );
    expect(md).toMatch(/\| CIFAR-10 \| A \|/);
    expect(md).toContain('lossy-jpeg');
    expect(md).toContain('## Ablation: ABC(AE) distance');
    expect(md).toMatch(/ABC\(AE\), l2 norm \(abc-ae-l2\)/);
    expect(md).toContain('| 2D-Toy | 2 [2] | 500 [10,000]');
    expect(md).toContain('method dnn is not registered');
    expect(md).toContain('](figures/figure3.svg)');
    expect(Object.keys(report.figures).sort()).toEqual(['figure3.svg', 'figure4-mnist.svg', 'figure5.svg']);
    expect(md).toMatch(/Figure 3:.*methods not run: DNN/);
    expect(md).toMatch(/Figure 5:.*LRC|Figure 5: mean training loss/);

    const html = report.html;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect((html.match(/<svg/g) ?? []).length).toBe(3);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).toContain('<b>0.971 (0.001)</b> <span class="paper">[0.972]</span>');
    for (const svg of Object.values(report.figures)) expect(svg).toMatch(/^<svg/);
  });

  it('writes report.md, report.html and figures/ from what a reproduction left in OUT', async () => {
    const out = join(tmp.dir, 'out');
    await mkdir(join(out, 'artifacts'), { recursive: true });
    const one = runs.filter((r) => r.run === 0 && r.setting === 1 && r.dataset === 'toy2d');
    await writeFile(join(out, 'runs.jsonl'), `${one.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await writeFile(join(out, 'artifacts', 'toy2d-s1-abc-ae-r0.json'), JSON.stringify({ grid, history }));
    await writeFile(join(out, 'artifacts', 'toy2d-points.json'), JSON.stringify(points));
    const r = await writeReport(out);
    for (const f of ['report.md', 'report.html', 'results.json', 'figures/figure3.svg', 'figures/figure5.svg'])
      expect(existsSync(join(out, f))).toBe(true);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    // One run: std n/a and the t-test n/a note.
    expect(md).toContain('0.960 (n/a) [0.965]');
    expect(md).toMatch(/With a single run the std and the t-test are n\/a/);
    expect(r.files[0]).toBe(join(out, 'report.md'));
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('<svg');
  });
});

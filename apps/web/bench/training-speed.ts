/**
 * Training speed of the page against Node: the same fit (same CSV, columns, split, network, epochs, batch size,
 * seed, scaler) timed in Chromium's training Web Worker on the engine's WebAssembly SIMD arena, and in Node on one
 * thread (the `wasm-simd` kernel, chosen explicitly: Node's default would be `wasm-simd-2t`). Both sides plan the
 * fit with the page's own `planFit` and run the worker's own `runJob`. Two measures, each as samples per second
 * (training rows × epochs run / seconds) and as the ratio page / Node:
 * - fit wall: seconds around `Pipeline.fit` (inside the worker for the page);
 * - thread CPU: CPU seconds of the training thread (Node's main thread; Chromium's training Web Worker thread, read
 *   from Linux's /proc) over the whole job (fit, scoring every row, `.abc` and `.onnx`), which a loaded machine
 *   disturbs far less than wall time.
 * A benchmark, not a test: `pnpm --filter @abc/web bench:train` (Linux, Debian's Chromium).
 *
 * Env: REPEATS (alternating Node / page runs per case, the best of each kept; default 3), CASES (comma list of
 * case names; default all), NO_BUILD=1 to use the existing dist/.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@abc/core';
import { registerBaselines } from '@abc/baselines';
import { selectKernel, setDefaultKernel } from '@abc/engine';
import { registerModels } from '@abc/models';
import type { Page } from 'playwright-core';
import { buildDataset, type DatasetChoice } from '../src/data/dataset.js';
import { toySampleCsv } from '../src/data/sample.js';
import { heldOutMetrics } from '../src/eval/metrics.js';
import { planFit } from '../src/train/job.js';
import type { DetectorResult, WorkerEvent } from '../src/train/protocol.js';
import { runJob } from '../src/train/run-job.js';
import buildApp from '../test/global-build.js';
import { appState, DIST, launchChromium, openApp } from '../test/support/app-page.js';
import { serveStatic } from '../test/support/static-server.js';
import { busiestThreadCpu, threadsNamed } from './thread-cpu.js';

/** One benchmark fit: a CSV, the page's column choice, ABC's parameters as typed in the page, the epoch budget. */
interface Case {
  name: string;
  csv: string;
  choice: DatasetChoice;
  /** ABC's page parameters (text as typed), empty for the page's defaults. */
  params: Record<string, string>;
  epochs: number;
}

/** A labelled CSV of `rows` rows and `d` Gaussian features; 5 % anomalies shifted by 3 in every feature. */
function gaussianCsv(rows: number, d: number, seed: number): string {
  const rng = new Random(seed);
  const names = Array.from({ length: d }, (_, j) => `f${j}`);
  const lines = [[...names, 'label'].join(',')];
  for (let i = 0; i < rows; i++) {
    const y = rng.float() < 0.05 ? 1 : 0;
    const v = names.map(() => (rng.normal(0, 1) + 3 * y).toPrecision(6));
    lines.push(`${v.join(',')},${y}`);
  }
  return `${lines.join('\n')}\n`;
}

const CASES: Case[] = [
  {
    // The paper's 2-D toy data and network (10-10, latent 1; the page's default for two features), batch 100.
    name: 'toy-2d',
    csv: toySampleCsv({ nPerClass: 10_000, seed: 1 }),
    choice: { label: null, kind: 'kind', roles: {}, features: ['x', 'y'] },
    params: {},
    epochs: 30,
  },
  {
    // A wider table and network: 32 features, hidden 128-64, latent 16, batch 100.
    name: 'gauss-32',
    csv: gaussianCsv(20_000, 32, 2),
    choice: { label: 'label', kind: null, roles: {}, features: Array.from({ length: 32 }, (_, j) => `f${j}`) },
    params: { hidden: '128,64', latent: '16' },
    epochs: 10,
  },
];

interface Timing {
  /** Wall-clock seconds of `Pipeline.fit` (in the worker for the page). */
  fitSeconds: number;
  /** CPU seconds of the training thread over the whole job (fit, scoring every row, `.abc` and `.onnx`). */
  cpuSeconds: number;
  steps: number;
  aurocKnown: number | null;
}

const SEED = 0;
const TEST_FRACTION = 0.3;

/** The case's fit in Node, on one thread, through the page's own planFit and the worker's own runJob. */
async function fitInNode(c: Case): Promise<Timing & { trainRows: number }> {
  const ds = buildDataset(c.csv, `${c.name}.csv`, c.choice);
  const params = Object.fromEntries(
    Object.entries(c.params).map(([k, v]) => [k, v.includes(',') ? v.split(',').map(Number) : Number(v)]),
  );
  const plan = planFit(ds, {
    detectors: [{ name: 'abc', params }],
    epochs: c.epochs,
    seed: SEED,
    testFraction: TEST_FRACTION,
    scaler: 'standard',
  });
  let result: DetectorResult | null = null;
  let steps = 0;
  const mainThread = { pid: process.pid, tid: process.pid };
  const { cpu } = await busiestThreadCpu(
    () => [mainThread],
    () =>
      runJob(plan.job, (e: WorkerEvent) => {
        if (e.type === 'progress') steps = e.step;
        if (e.type === 'result') result = e.result;
      }),
  );
  const r = result as DetectorResult | null;
  if (!r) throw new Error(`${c.name}: the Node fit gave no result`);
  const m = heldOutMetrics(r.scores, ds.labels, ds.unknown, plan.split.test);
  return { fitSeconds: r.fitSeconds, cpuSeconds: cpu, steps, aurocKnown: m.aurocKnown, trainRows: plan.job.train.length };
}

/** The case's fit in the page: the CSV loaded through the file input, the form filled, Train pressed. */
async function fitInPage(page: Page, c: Case, file: string): Promise<Timing> {
  // Picking the file the input already holds fires no change event: empty it first.
  await page.$eval('#file', (input) => {
    (input as HTMLInputElement).value = '';
  });
  await page.setInputFiles('#file', file);
  await page.waitForFunction(
    () => (window as unknown as { __abcApp: { phase: string } }).__abcApp.phase === 'loaded',
    undefined,
    {
      polling: 100,
    },
  );
  await page.selectOption('#label', c.choice.label ?? '');
  await page.selectOption('#kind', c.choice.kind ?? '');
  for (const box of await page.$$('#features input')) {
    const name = await box.getAttribute('value');
    await box.setChecked(c.choice.features.includes(name ?? ''));
  }
  for (const box of await page.$$('#detectors input')) await box.setChecked((await box.getAttribute('value')) === 'abc');
  await page.fill('#epochs', String(c.epochs));
  await page.fill('#seed', String(SEED));
  await page.fill('#test-fraction', String(TEST_FRACTION));
  await page.selectOption('#scaler', 'standard');
  for (const [key, text] of Object.entries(c.params)) await page.fill(`#param-abc-${key}`, text);
  // Chromium is a child of this process and names its Web Worker threads "DedicatedWorker": the busiest one during
  // the job is the training worker.
  const { cpu } = await busiestThreadCpu(
    () => threadsNamed(process.pid, 'DedicatedWorker'),
    async () => {
      await page.click('#train');
      await page.waitForFunction(
        () => ['done', 'error', 'cancelled'].includes((window as unknown as { __abcApp: { phase: string } }).__abcApp.phase),
        undefined,
        // Polled every 250 ms, not every frame: polling per frame makes Chromium draw 60 frames a second in
        // software, which takes CPU from the worker on a loaded machine (the fit is timed inside the worker).
        { timeout: 600_000, polling: 250 },
      );
    },
  );
  const s = await appState(page);
  if (s.phase !== 'done') throw new Error(`${c.name}: the page's fit ended ${s.phase}: ${s.error}`);
  return { fitSeconds: s.fits.abc.fitSeconds, cpuSeconds: cpu, steps: s.fits.abc.steps, aurocKnown: s.metrics.abc.aurocKnown };
}

/** One table row: best-of rates (samples per second) and ratios page / Node, for fit wall time and thread CPU. */
function tableRow(c: Case, node: (Timing & { trainRows: number })[], web: Timing[]): string {
  const samples = node[0].trainRows * node[0].steps;
  const best = (runs: Timing[], k: 'fitSeconds' | 'cpuSeconds') => samples / Math.min(...runs.map((t) => t[k]));
  const rate = (v: number) => Math.round(v).toLocaleString('en-US');
  const nw = best(node, 'fitSeconds');
  const ww = best(web, 'fitSeconds');
  const nc = best(node, 'cpuSeconds');
  const wc = best(web, 'cpuSeconds');
  return `| ${c.name} | ${node[0].trainRows} | ${node[0].steps} | ${rate(nw)} | ${rate(ww)} | ${(ww / nw).toFixed(2)}x | ${rate(nc)} | ${rate(wc)} | ${(wc / nc).toFixed(2)}x |`;
}

async function main(): Promise<void> {
  const repeats = Number(process.env.REPEATS ?? 3);
  const only = process.env.CASES?.split(',');
  const cases = CASES.filter((c) => !only || only.includes(c.name));
  registerModels();
  registerBaselines();
  const kernel = selectKernel({ prefer: 'wasm-simd', strict: true });
  setDefaultKernel(kernel.kernel);
  if (process.env.NO_BUILD !== '1') await buildApp();
  const dir = await mkdtemp(join(tmpdir(), 'abc-web-bench-'));
  const server = await serveStatic(DIST, { isolation: true });
  const browser = await launchChromium();
  const browserVersion = `Chromium ${browser.version()}`;
  const load0 = loadavg()[0];
  const rows: string[] = [];
  try {
    const page = await openApp(browser, server.base);
    const s = await appState(page);
    if (!s.crossOriginIsolated || !/wasm-simd/.test(s.kernel ?? ''))
      throw new Error(`the page is not on the wasm arena: ${s.kernel}`);
    for (const c of cases) {
      const file = join(dir, `${c.name}.csv`);
      await writeFile(file, c.csv);
      const node: (Timing & { trainRows: number })[] = [];
      const web: Timing[] = [];
      for (let r = 0; r < repeats; r++) {
        const n = await fitInNode(c);
        const w = await fitInPage(page, c, file);
        if (n.steps !== w.steps) throw new Error(`${c.name}: Node ran ${n.steps} epochs, the page ${w.steps}: not the same fit`);
        console.log(
          `${c.name} run ${r + 1}: fit wall Node ${n.fitSeconds.toFixed(2)} s, page ${w.fitSeconds.toFixed(2)} s; ` +
            `thread CPU Node ${n.cpuSeconds.toFixed(2)} s, page ${w.cpuSeconds.toFixed(2)} s ` +
            `(${n.steps} epochs; AUROC known ${n.aurocKnown?.toFixed(4)} / ${w.aurocKnown?.toFixed(4)})`,
        );
        node.push(n);
        web.push(w);
      }
      if (node.length > 0) rows.push(tableRow(c, node, web));
    }
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ` +
      `Node ${process.version}, ${browserVersion}, load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end; ` +
      `best of ${repeats}; Node kernel ${kernel.id}, one thread`,
  );
  console.log(
    '| case | training rows | epochs | Node, fit wall (samples/s) | page, fit wall | page / Node | Node, thread CPU (samples/s) | page, thread CPU | page / Node |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

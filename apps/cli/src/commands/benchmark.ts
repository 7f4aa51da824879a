import '@abc/models';
import '@abc/baselines';
import { AbortError } from '@abc/core';
import { parseRatios } from '@abc/eval';
import {
  benchmark,
  BENCHMARK_SUITES,
  writeBenchmarkReport,
  type BenchmarkEvent,
  type BenchmarkSuite,
  type BenchmarkTaskInfo,
} from '@abc/eval/node';
import { queueBenchmarkExecutor, redisOptions, safeUrl, type QueueProgress } from '@abc/queue';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { interruptOnCtrlC } from '../interrupt.js';
import { pluginOfDetector } from '../plugins.js';
import { formatDuration } from '../progress.js';
import { runProgress } from '../run-progress.js';
import { required } from './fit.js';

export const benchmarkHelp = `abc benchmark: every detector on ADBench's tabular datasets, ranked, timed and calibrated (resumable)

Usage: abc benchmark --suite adbench --out DIR [--data-dir DIR] [--datasets LIST] [--ratios LIST] [--seeds N]
                     [--methods LIST|all] [--max-epochs N] [--report-only] [--queue redis://HOST:PORT[/DB]]

  --suite NAME         adbench (ADBench's protocol: rows resampled to 1,000 / subsampled to 10,000, stratified
                       70/30 split, min-max on training, ceil(ratio x training anomalies) labelled)
  --data-dir DIR       folder holding adbench/*.npz (as abc data fetch adbench writes) or the .npz files
                       directly; any .npz with arrays X and y works (default env ABC_DATA_DIR, else the cache
                       folder that abc data fetch writes)
  --datasets LIST      file names without .npz (29_Pima) or without the number (Pima); default every file
  --ratios LIST        shares of the training anomalies that are labelled (default 0,0.01,0.05,0.1)
  --seeds N            seeds 0..N-1 (default 3, ADBench's)
  --methods LIST|all   registered detectors' names (or abc-ae, abc-dae); all = every registered detector
                       (default all). Unsupervised methods see no labels: one fit per dataset and seed,
                       recorded at every ratio. Label-aware methods run at each ratio > 0, and at ratio 0 only
                       those that learn without anomalies (abc). METHOD+CALIBRATOR is a calibrated variant,
                       its own method id in the records (abc+platt, iforest+unify): platt or isotonic fitted
                       on a stratified half of the test part and evaluated on the other, then swapped; linear
                       or unify (PyOD's label-free rescalings) fitted on the training scores. A method and its
                       variants share one fit, e.g. --methods abc,abc+platt,abc+isotonic,iforest,iforest+unify
  --max-epochs N       cap every epoch param (epochs, maxEpochs, aeEpochs, ...) of each method (recorded in
                       each run's params as maxEpochsCap)
  --out DIR            runs.jsonl, results.json, report.md, report.html, figures/; rerunning with the same
                       --out resumes: finished runs are not redone (more ratios, seeds or methods add to it;
                       a variant added later fits its method again and records only the variant)
  --no-report          skip report.md / report.html
  --queue URL          run the fits on the workers of a Redis work queue (abc worker --queue URL, on any
                       number of machines) instead of here: each dataset file goes to Redis once, so the
                       workers need no data folder; the records land in --out here, as without it
                       (docs/queue.md)
  --report-only        only write results.json, report.md, report.html and figures/ from what --out holds

A line is printed per finished fit (a bar on a terminal). Ctrl-C stops cleanly (exit 130); rerun the same
command to resume.
`;

/** Where progress goes: a terminal gets a redrawn bar, anything else a line per finished fit through `out`. */
export interface BenchmarkIO {
  signal?: AbortSignal;
  stderr?: { isTTY?: boolean; write(s: string): unknown };
}

function positiveInt(values: Record<string, unknown>, name: string): number | undefined {
  const v = str(values as never, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || v.trim() === '') throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length === 0 || (items.length === 1 && items[0] === 'all') ? undefined : items;
}

function progress(out: (s: string) => void, stderr: BenchmarkIO['stderr']) {
  const task = (t: BenchmarkTaskInfo) => `${t.dataset} ${t.method} ratio ${t.ratio} seed ${t.seed}`;
  return runProgress<BenchmarkEvent>(out, stderr, {
    start: (e) => task(e.task),
    failed: (e) => `[${e.done}/${e.total}] ${task(e.task)}: FAILED (${e.message})`,
    run(e) {
      const r = e.records[0];
      // One fit may record a method and its calibrated variants: their numbers follow the first's.
      const methods = [...new Set(e.records.map((x) => x.method))];
      const ratios = [...new Set(e.records.map((x) => x.ratio))].join(',');
      const numbers = (x: (typeof e.records)[number]) =>
        `AUROC ${x.auroc.toFixed(3)} AUPR ${x.aupr.toFixed(3)}${x.ece !== null ? ` ECE ${x.ece.toFixed(3)}` : ''}`;
      const others = methods
        .slice(1)
        .map((m) => `; ${m}: ${numbers(e.records.find((x) => x.method === m)!)}`)
        .join('');
      return (
        `${r.dataset} ${r.method} ratio ${ratios} seed ${r.seed}: ${numbers(r)}${others}` +
        `  fit ${r.fitSeconds.toFixed(2)} s${r.epochs !== null ? `, ${r.epochs} epochs` : ''}`
      );
    },
  });
}

/**
 * `abc benchmark`: runs `@abc/eval`'s `benchmark` (ADBench's protocol) and prints a line per finished fit.
 * Returns the exit code; `io.signal` stops it as Ctrl-C does (exit 130 through the AbortError).
 *
 * @example
 * await runBenchmark(['--suite', 'adbench', '--data-dir', 'data', '--datasets', '29_Pima', '--ratios', '0,0.05',
 *   '--seeds', '1', '--methods', 'iforest,hbos', '--out', 'bench'], console.log);
 */
export async function runBenchmark(argv: string[], out: (s: string) => void, io: BenchmarkIO = {}): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      suite: { type: 'string' },
      'data-dir': { type: 'string' },
      datasets: { type: 'string' },
      ratios: { type: 'string' },
      seeds: { type: 'string' },
      methods: { type: 'string' },
      'max-epochs': { type: 'string' },
      out: { type: 'string' },
      'no-report': { type: 'boolean' },
      'report-only': { type: 'boolean' },
      queue: { type: 'string' },
    },
    'benchmark',
  );
  if (values.help) {
    out(benchmarkHelp);
    return 0;
  }
  const outDir = required(values, 'out', 'benchmark');
  if (values['report-only']) {
    const report = await writeBenchmarkReport(outDir);
    out(`${report.results.runs.length} runs recorded. Wrote ${report.files.join(', ')}`);
    return 0;
  }
  const suite = str(values, 'suite') ?? 'adbench';
  if (!(BENCHMARK_SUITES as readonly string[]).includes(suite))
    throw new UsageError(`--suite takes ${BENCHMARK_SUITES.join(', ')}, got "${suite}"`);
  const ratioText = str(values, 'ratios');
  let ratios: number[] | undefined;
  try {
    ratios = ratioText === undefined ? undefined : parseRatios(ratioText);
  } catch (e) {
    throw new UsageError(`--ratios: ${(e as Error).message}`);
  }
  const queueUrl = str(values, 'queue');
  if (queueUrl !== undefined) redisOptions(queueUrl); // a bad address fails now, not after the plan
  const interrupt = interruptOnCtrlC(io.signal);
  const bar = progress(out, io.stderr ?? process.stderr);
  const warn = (m: string) => {
    bar.done();
    out(`warning: ${m}`);
  };
  const onQueue = (e: QueueProgress) => {
    if (e.type === 'enqueued')
      out(`queue ${safeUrl(queueUrl!)}: ${e.total} fit(s) sent to the workers; waiting (Ctrl-C stops waiting, they stay queued)`);
  };
  const t0 = performance.now();
  try {
    const result = await benchmark({
      suite: suite as BenchmarkSuite,
      dataDir: str(values, 'data-dir') ?? process.env.ABC_DATA_DIR,
      datasets: list(str(values, 'datasets')),
      ratios,
      seeds: positiveInt(values, 'seeds'),
      methods: str(values, 'methods') ?? 'all',
      maxEpochs: positiveInt(values, 'max-epochs'),
      out: outDir,
      signal: interrupt.signal,
      onEvent: bar.onEvent,
      onWarning: warn,
      report: !values['no-report'],
      executor: queueUrl
        ? queueBenchmarkExecutor({ queueUrl, pluginOf: pluginOfDetector, onProgress: onQueue, onWarning: warn })
        : undefined,
    });
    bar.done();
    out(
      `${result.ran} fits done, ${result.skipped} already recorded${result.failed > 0 ? `, ${result.failed} failed (retried on the next run)` : ''}, in ` +
        `${formatDuration((performance.now() - t0) / 1000)}; ${result.results.cells.length} cells. Wrote ${result.files.join(', ')}`,
    );
    return 0;
  } catch (e) {
    bar.done();
    if (interrupt.signal.aborted) {
      throw new AbortError(
        `interrupted: finished runs are in ${outDir}/runs.jsonl; rerun the same command to resume${queueUrl ? ' (and to collect what the workers finish meanwhile)' : ''}`,
      );
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}

import '@abc/models';
import '@abc/baselines';
import { AbortError } from '@abc/core';
import { parseDatasets, reproduce, writeReport, type RunnerEvent } from '@abc/eval/node';
import { queueRunExecutor } from '@abc/queue';
import { methodLabel, type Setting } from '@abc/eval';
import type { CifarTestSetChoice } from '@abc/eval/node';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { interruptOnCtrlC } from '../interrupt.js';
import { pluginOfDetector } from '../plugins.js';
import { formatDuration } from '../progress.js';
import { runProgress } from '../run-progress.js';
import { required } from './fit.js';

export const reproduceHelp = `abc reproduce: the paper's experiments (settings 1-3, Table 2, Figures 3-5), resumable

Usage: abc reproduce --out DIR [--datasets toy2d,mnist,kdd99,cifar10] [--settings 1,2,3] [--runs 5]
                     [--methods all|LIST] [--data-dir DIR] [--download [--mirror URL]] [--max-epochs N]
                     [--toy-size N] [--queue redis://HOST:PORT[/DB]]

  --out DIR            where runs.jsonl, results.json, report.md, report.html and figures/ go; rerunning
                       with the same --out resumes: finished runs are not redone
  --datasets LIST      toy2d (generated, needs no files), mnist, kdd99, cifar10, or all (default all)
  --settings LIST      1: train on normals (+ known anomalies for supervised methods); 2: as 1 with 100
                       unknown anomalies among the training normals; 3: fewer known anomalies (default 1,2,3)
  --runs N             runs per experiment, seeds 0..N-1 (default 5, the paper's)
  --methods LIST|all   abc-ae, abc-dae, lrc, dnn, svm, gtb, rusboost, ae, dae, ocsvm, iforest (= all), the
                       ablation abc-ae-l2 (ABC(AE) with the l2 norm), deepsad, devnet, prenet, feawad,
                       rosas (other papers' methods, on their own networks), or a registered detector's name.
                       Methods of all that are not registered are skipped with a note (default all)
  --data-dir DIR       folder holding mnist/, kddcup99/, cifar10/ (default env ABC_DATA_DIR, else the cache
                       folder that abc data fetch writes)
  --download           fetch the datasets missing from the data folder first (abc data fetch); without it a
                       missing dataset is an error naming the abc data fetch command
  --mirror URL         with --download: a base address holding the data folder's relative paths, tried
                       before the publishers' (repeatable; as abc data fetch --mirror)
  --max-epochs N       cap the networks' epochs, every epoch param (epochs, aeEpochs, ...) of each method
                       (recorded in each run's params)
  --toy-size N         rows of each 2-D toy set (default 10000, the paper's)
  --max-rows N         cut each part of every split to at most N rows (quick checks; not the paper's sizes)
  --cifar-test KIND    auto (default: exact test_batch.bin if present, else the lossy JPEG copies, marked
                       lossy-jpeg), exact, lossy-jpeg, or holdout (1,000 per class held out of training)
  --known-counts LIST  setting 3's known anomalies in training (default 10,50,100,500,1000,5000,all)
  --setting3-datasets LIST  datasets of setting 3 (default mnist, the paper's; the requested ones without it)
  --seed N             seed of run 0 (default 0)
  --queue URL          run on the workers of a Redis work queue (abc worker --queue URL, on any number of
                       machines) instead of here; the records land in --out here, as without it (docs/queue.md)
  --no-report          skip report.md / report.html (write them later with --report-only)
  --report-only        only write report.md / report.html (and figures) from the runs recorded in --out

A progress line is printed per finished run (a bar on a terminal). Ctrl-C stops cleanly (exit 130);
rerun the same command to resume.
`;

function intFlag(values: Record<string, unknown>, name: string): number | undefined {
  const v = str(values as never, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || v.trim() === '')
    throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function parseSettings(text: string): Setting[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out = items.map((s) => Number(s));
  if (items.length === 0 || out.some((s) => s !== 1 && s !== 2 && s !== 3))
    throw new UsageError(`--settings takes 1, 2 and/or 3, got "${text}"`);
  return [...new Set(out)] as Setting[];
}

function parseCounts(text: string): (number | 'all')[] {
  return text.split(',').map((s) => {
    const t = s.trim();
    if (t === 'all') return 'all';
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--known-counts takes positive integers and all, got "${t}"`);
    return n;
  });
}

/** Where progress goes: a terminal gets a redrawn bar, anything else a line per finished run through `out`. */
export interface ReproduceIO {
  signal?: AbortSignal;
  stderr?: { isTTY?: boolean; write(s: string): unknown };
}

function progress(out: (s: string) => void, stderr: ReproduceIO['stderr']) {
  return runProgress<RunnerEvent>(out, stderr, {
    start: ({ task: t }) =>
      `${t.dataset} s${t.setting} ${t.method.id} run ${t.run}${t.setting === 3 ? ` nKnown ${t.nKnown}` : ''}`,
    run: ({ record: r }) =>
      `${r.dataset} setting ${r.setting} ${r.method} (${methodLabel(r.method)}) run ${r.run}` +
      `${r.setting === 3 ? ` nKnown ${r.nKnown}` : ''}: AUROC A ${r.aurocKnown.toFixed(3)} U ${r.aurocUnknown.toFixed(3)}` +
      `  fit ${r.fitSeconds.toFixed(1)} s${r.epochs !== null ? `, ${r.epochs} epochs` : ''}`,
  });
}

/**
 * `abc reproduce`: runs the paper's protocols through `@abc/eval`'s `reproduce` and prints a line per finished
 * run. Returns the exit code; `io.signal` stops it as Ctrl-C does (exit 130 through the AbortError).
 *
 * @example
 * await runReproduce(['--datasets', 'toy2d', '--settings', '1', '--runs', '1', '--methods', 'abc-ae,ae', '--toy-size', '500', '--out', 'out'], console.log);
 */
export async function runReproduce(argv: string[], out: (s: string) => void, io: ReproduceIO = {}): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      datasets: { type: 'string' },
      settings: { type: 'string' },
      runs: { type: 'string' },
      methods: { type: 'string' },
      'data-dir': { type: 'string' },
      download: { type: 'boolean' },
      mirror: { type: 'string', multiple: true },
      out: { type: 'string' },
      'max-epochs': { type: 'string' },
      'toy-size': { type: 'string' },
      'max-rows': { type: 'string' },
      'cifar-test': { type: 'string' },
      'known-counts': { type: 'string' },
      'setting3-datasets': { type: 'string' },
      seed: { type: 'string' },
      'no-report': { type: 'boolean' },
      'report-only': { type: 'boolean' },
      queue: { type: 'string' },
    },
    'reproduce',
  );
  if (values.help) {
    out(reproduceHelp);
    return 0;
  }
  const outDir = required(values, 'out', 'reproduce');
  if (values['report-only']) {
    // Tables of what is recorded so far (a reproduction still running, or stopped part-way), running nothing.
    const report = await writeReport(outDir);
    out(`Wrote ${report.files.join(', ')}`);
    return 0;
  }
  if (values.mirror && !values.download)
    throw new UsageError('--mirror goes with --download (or use abc data fetch --mirror URL)');
  const cifarTest = str(values, 'cifar-test');
  if (cifarTest !== undefined && !['auto', 'exact', 'lossy-jpeg', 'holdout'].includes(cifarTest)) {
    throw new UsageError(`--cifar-test takes auto, exact, lossy-jpeg or holdout, got "${cifarTest}"`);
  }
  const positive = (name: string): number | undefined => {
    const n = intFlag(values, name);
    if (n === 0) throw new UsageError(`--${name} must be at least 1`);
    return n;
  };
  const datasets = parseDatasets(str(values, 'datasets') ?? 'all');
  const setting3 = str(values, 'setting3-datasets');
  const interrupt = interruptOnCtrlC(io.signal);
  const stderr = io.stderr ?? process.stderr;
  const bar = progress(out, stderr);
  const t0 = performance.now();
  try {
    const result = await reproduce({
      out: outDir,
      datasets,
      settings: parseSettings(str(values, 'settings') ?? '1,2,3'),
      runs: positive('runs') ?? 5,
      methods: str(values, 'methods') ?? 'all',
      dataDir: str(values, 'data-dir') ?? process.env.ABC_DATA_DIR,
      download: values.download
        ? {
            mirrors: (values.mirror as string[] | undefined) ?? [],
            onEvent: (e) => e.type === 'done' && out(`fetched ${e.file.path}${e.file.skipped ? ' (already there)' : ''}`),
          }
        : false,
      maxEpochs: positive('max-epochs'),
      toySize: positive('toy-size'),
      maxRowsPerPart: positive('max-rows'),
      cifarTestSet: cifarTest as CifarTestSetChoice | undefined,
      knownCounts: str(values, 'known-counts') ? parseCounts(str(values, 'known-counts')!) : undefined,
      setting3Datasets: setting3 ? parseDatasets(setting3) : undefined,
      seed: intFlag(values, 'seed'),
      signal: interrupt.signal,
      onEvent: bar.onEvent,
      onWarning: (m) => {
        bar.done();
        out(`warning: ${m}`);
      },
      report: !values['no-report'],
      executor: str(values, 'queue')
        ? queueRunExecutor({
            queueUrl: str(values, 'queue')!,
            cifarTestSet: cifarTest as CifarTestSetChoice | undefined,
            pluginOf: pluginOfDetector,
          })
        : undefined,
    });
    bar.done();
    out(
      `${result.ran} runs done, ${result.skipped} already recorded, in ${formatDuration((performance.now() - t0) / 1000)}; ` +
        `${result.results.cells.length} cells. Wrote ${result.files.join(', ')}`,
    );
    return 0;
  } catch (e) {
    bar.done();
    if (interrupt.signal.aborted) {
      throw new AbortError(`interrupted: finished runs are in ${outDir}/runs.jsonl; rerun the same command to resume`);
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AbortError,
  getDetectorEntry,
  OneHotEncoder,
  parseParamText,
  Pipeline,
  isStringColumn,
  SimpleImputer,
  validateMatrix,
  type DataLike,
  type Detector,
  type Params,
} from '@abc/core';
import { saveFile, writeFileAtomic } from '@abc/core/node';
import { readCsvFile } from '@abc/eval/node';
import { searchDetectors, type Objective, type Trial, type TrialExecutor, type Validation } from '@abc/search';
import { queueTrialExecutor, type SearchProblem } from '@abc/queue';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { pluginOfDetector } from '../plugins.js';
import { progressPrinter } from '../progress.js';
import { preprocessing } from '../training.js';
import { required } from './fit.js';

export const searchHelp = `abc search: search detectors and their parameters on a labelled CSV, refit the best

Usage: abc search --data train.csv --label COLUMN --out DIR [--detectors abc,ae,gtb,iforest]
                  [--budget N] [--strategy random|halving] [--validation holdout:0.2|kfold:5]
                  [--objective known-and-synthetic|auroc-known|aupr-known] [--param DETECTOR.key=value ...]
                  [--scaler minmax|standard|none] [--seed N] [--queue redis://HOST:PORT[/DB]]

  --detectors LIST   registered detectors to try (default: all; with no anomaly in the labels only the
                     unsupervised ones and abc are candidates)
  --budget N         configurations drawn per detector (default 4); halving keeps the best third per rung and
                     trains each rung three times longer (epochs or trees: maxEpochs, nEstimators, maxIter)
  --validation V     holdout:F (default holdout:0.2, stratified: known anomalies on both sides) or kfold:K
  --objective O      known-and-synthetic (default): mean of the AUROC on held-out known anomalies and the
                     AUROC against synthetic outliers drawn uniformly from the training data's bounding box
                     widened by half its size (so unknown anomalies count too); or auroc-known, aupr-known
  --param D.k=v      fix a parameter of detector D (not searched), e.g. --param abc.hidden=10,10
  --out DIR          writes DIR/trials.jsonl (one line per finished trial: rerunning resumes from it),
                     DIR/trials.csv (every trial: detector, params, objective, AUROCs, seconds), DIR/best.abc
                     (the best configuration refitted on all rows) and DIR/summary.json

  --queue URL        evaluate the configurations on the workers of a Redis work queue (abc worker --queue
                     URL, on any number of machines), a rung at a time; the trials land in --out here, as
                     without it (docs/queue.md)

Ctrl-C stops cleanly (exit 130); rerun the same command to resume from DIR/trials.jsonl.
`;

export async function runSearch(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      data: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
      detectors: { type: 'string' },
      budget: { type: 'string' },
      strategy: { type: 'string' },
      validation: { type: 'string' },
      objective: { type: 'string' },
      param: { type: 'string', multiple: true },
      scaler: { type: 'string' },
      seed: { type: 'string' },
      queue: { type: 'string' },
    },
    'search',
  );
  if (values.help) {
    out(searchHelp);
    return 0;
  }
  const data = required(values, 'data', 'search');
  const label = required(values, 'label', 'search');
  const dir = required(values, 'out', 'search');
  const detectors = str(values, 'detectors')
    ?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  detectors?.forEach((d) => {
    getDetectorEntry(d);
  });
  const budget = int(str(values, 'budget') ?? '4', '--budget', 1);
  const seed = int(str(values, 'seed') ?? '0', '--seed', 0);
  const strategy = str(values, 'strategy') ?? 'random';
  if (strategy !== 'random' && strategy !== 'halving')
    throw new UsageError(`--strategy must be random or halving, got "${strategy}"`);
  const objective = (str(values, 'objective') ?? 'known-and-synthetic') as Objective;
  if (!['known-and-synthetic', 'auroc-known', 'aupr-known'].includes(objective))
    throw new UsageError(`--objective must be known-and-synthetic, auroc-known or aupr-known, got "${objective}"`);
  const validation = parseValidation(str(values, 'validation') ?? 'holdout:0.2');
  const fixed: Record<string, Params> = {};
  for (const text of (values.param as string[] | undefined) ?? []) {
    const dot = text.indexOf('.');
    if (dot <= 0) throw new UsageError(`--param for search is DETECTOR.key=value, got "${text}"`);
    const name = text.slice(0, dot);
    const [k, v] = parseParamText(getDetectorEntry(name).paramSpace, text.slice(dot + 1), name);
    fixed[name] ??= {};
    fixed[name][k] = v;
  }

  const { table, labels } = await readCsvFile(data, { label });
  // Text columns: the categories are learned from all rows up front (no labels involved), so every trial and
  // the refitted model see the same encoded columns.
  const encoder = table.columns.some((c) => isStringColumn(c)) ? new OneHotEncoder().fit(table) : null;
  const X = encoder ? encoder.transform(table) : table;
  const steps = preprocessing(
    { ...table, columns: table.columns.filter((c) => !isStringColumn(c)) },
    str(values, 'scaler') ?? 'minmax',
  );

  await mkdir(dir, { recursive: true });
  const log = join(dir, 'trials.jsonl');
  const resume = existsSync(log) ? await readTrials(log) : [];
  if (resume.length > 0) out(`resuming: ${resume.length} trials recorded in ${log}`);
  const ctrl = new AbortController();
  const onSigint = () => ctrl.abort(new AbortError('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  const progress = progressPrinter(process.stderr);
  let result: Awaited<ReturnType<typeof searchDetectors>>;
  try {
    result = await searchDetectors(X, labels!, {
      detectors,
      strategy,
      trialsPerDetector: budget,
      validation,
      objective,
      fixed,
      transformers: steps,
      seed,
      signal: ctrl.signal,
      onProgress: progress.onProgress,
      resume,
      onTrial: (t) => appendFile(log, `${JSON.stringify(t)}\n`),
      executor: queueExecutor(str(values, 'queue'), X, labels!, {
        validation,
        seed,
        objective,
        impute: steps()[0] instanceof SimpleImputer,
        scaler: (str(values, 'scaler') ?? 'minmax') as SearchProblem['scaler'],
      }),
    });
  } catch (e) {
    progress.done();
    if (ctrl.signal.aborted) throw new AbortError(`interrupted: finished trials are in ${log}; rerun to resume`);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.done();
  const best = result.bestPipeline;
  const model: Detector = encoder
    ? Pipeline.fromFitted(
        [encoder, ...(best instanceof Pipeline ? best.transformers : [])],
        best instanceof Pipeline ? best.detector : best,
        table.names,
      )
    : best;
  await saveFile(model, join(dir, 'best.abc'));
  await writeFileAtomic(join(dir, 'trials.csv'), new TextEncoder().encode(trialsCsv(result.trials)));
  const summary = {
    best: result.best,
    candidates: result.candidates,
    validationNote: result.validationNote,
    strategy,
    objective,
    budget,
    seed,
    rows: table.rows,
  };
  await writeFileAtomic(join(dir, 'summary.json'), new TextEncoder().encode(JSON.stringify(summary, null, 2)));
  out(`candidates: ${result.candidates.join(', ')}; ${result.validationNote}`);
  out(`${result.trials.length} trials; best: ${result.best.detector} ${JSON.stringify(result.best.params)}`);
  out(
    `  objective ${result.best.objective.toFixed(4)} (AUROC known ${fmt(result.best.aurocKnown)}, vs synthetic outliers ${fmt(result.best.aurocSynthetic)})`,
  );
  out(`refitted on all ${table.rows} rows: ${join(dir, 'best.abc')}; every trial in ${join(dir, 'trials.csv')}`);
  return 0;
}

/** With --queue: the executor that sends each rung's configurations to the workers. */
function queueExecutor(
  queueUrl: string | undefined,
  X: DataLike,
  y: Uint8Array,
  problem: SearchProblem,
): TrialExecutor | undefined {
  if (!queueUrl) return undefined;
  return queueTrialExecutor({
    queueUrl,
    X: validateMatrix(X, { allowMissing: problem.impute }),
    y,
    problem,
    pluginOf: pluginOfDetector,
  });
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(4);
}

function int(text: string, flag: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got "${text}"`);
  return v;
}

function parseValidation(text: string): Validation {
  const [kind, value] = text.split(':');
  if (kind === 'holdout') {
    const f = Number(value ?? '0.2');
    if (!(f > 0 && f < 1)) throw new UsageError(`--validation holdout:F needs 0 < F < 1, got "${text}"`);
    return { kind: 'holdout', fraction: f };
  }
  if (kind === 'kfold') {
    const k = Number(value ?? '5');
    if (!Number.isInteger(k) || k < 2) throw new UsageError(`--validation kfold:K needs an integer K >= 2, got "${text}"`);
    return { kind: 'kfold', k };
  }
  throw new UsageError(`--validation must be holdout:F or kfold:K, got "${text}"`);
}

async function readTrials(path: string): Promise<Trial[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const trials: Trial[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      trials.push(JSON.parse(line) as Trial);
    } catch {
      // A half-written last line (the process was killed mid-append) is dropped; that trial reruns.
      if (i < lines.length - 2) throw new UsageError(`${path}: line ${i + 1} is not a trial record`);
    }
  });
  return trials;
}

function trialsCsv(trials: readonly Trial[]): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const rows = trials.map((t) =>
    [
      t.detector,
      q(JSON.stringify(t.params)),
      t.rung,
      t.budget ? `${t.budget.param}=${t.budget.value}` : '',
      t.objective,
      t.aurocKnown ?? '',
      t.aurocSynthetic,
      t.auprKnown ?? '',
      t.fitSeconds.toFixed(3),
      t.scoreSeconds.toFixed(3),
      t.error ? q(t.error) : '',
    ].join(','),
  );
  return `${[
    'detector,params,rung,budget,objective,aurocKnown,aurocSynthetic,auprKnown,fitSeconds,scoreSeconds,error',
    ...rows,
  ].join('\n')}\n`;
}

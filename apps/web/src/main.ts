import { ValidationError } from '@abc/core';
import { DataClient } from './data/client.js';
import type { Dataset } from './data/dataset.js';
import type { CsvPreview } from './data/inspect.js';
import type { CsvSource } from './data/protocol.js';
import type { HeldOutMetrics } from './eval/metrics.js';
import { openModel } from './onnx/score.js';
import { registerServiceWorker } from './sw-register.js';
import { TrainingClient } from './train/client.js';
import { planFit } from './train/job.js';
import type { DetectorInfo, DetectorRequest, ScalerChoice, WorkerEvent } from './train/protocol.js';
import { drawLines } from './ui/charts.js';
import { byId, el } from './ui/dom.js';
import { LossHistory } from './ui/loss.js';
import { checkParamInput, readParams, renderParams } from './ui/params.js';
import { outcomeOf, renderDetector, renderMetricsTable, type Outcome, type ResultContext } from './ui/results.js';
import { readChoice, renderColumns, renderDetectors, renderPreview } from './ui/setup.js';

/** What the page exposes for tests and the curious (`window.__abcApp`). */
interface AppState {
  phase: 'idle' | 'reading' | 'loaded' | 'preparing' | 'training' | 'done' | 'cancelled' | 'error';
  error: string | null;
  kernel: string | null;
  registered: DetectorInfo[];
  crossOriginIsolated: boolean;
  /** Rows of the loaded file (from the data worker's preview). */
  rows: number | null;
  progress: number;
  metrics: Record<string, HeldOutMetrics>;
  /** Per fitted detector: the fit's seconds (measured in the worker) and the last epoch / tree / iteration. */
  fits: Record<string, { fitSeconds: number; steps: number }>;
  /** Milliseconds from the last Cancel press to the page showing the run cancelled. */
  cancelMs: number | null;
  /** What the loss chart draws now: whose losses, and the names and lengths of its series. */
  lossChart: { detector: string; series: string[]; points: number[] } | null;
  scoring: { detector: string; backend: string; fallbackReason: string | null; scores: number[] } | null;
}

const state: AppState = {
  phase: 'idle',
  error: null,
  kernel: null,
  registered: [],
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  rows: null,
  progress: 0,
  metrics: {},
  fits: {},
  cancelMs: null,
  lossChart: null,
  scoring: null,
};
(window as unknown as { __abcApp: AppState }).__abcApp = state;

let loaded: CsvPreview | null = null;
let loadSeq = 0;
let building = false;
let ctx: ResultContext | null = null;
let outcomes: Outcome[] = [];
let history = new LossHistory();
let lastStep = new Map<string, number>();
/** Whether the loss chart follows the detector being fitted (until the user picks one). */
let lossFollowsFit = true;
let started = 0;
let cancelledAt: number | null = null;

function showError(e: unknown): void {
  const message = (e as Error)?.message ?? String(e);
  state.error = message;
  byId('error').textContent = message;
}

function clearError(): void {
  state.error = null;
  byId('error').textContent = '';
}

const data = new DataClient();

/** Hands a CSV to the data worker (which reads and parses it) and shows its preview. */
async function load(source: CsvSource, name: string): Promise<void> {
  clearError();
  const seq = ++loadSeq;
  state.phase = 'reading';
  byId('data-status').textContent = `reading ${name}…`;
  try {
    const p = await data.load(source);
    if (seq !== loadSeq) return;
    loaded = p;
    state.rows = p.rows;
    renderPreview(p);
    renderColumns(p);
    refreshParams();
    byId('setup').hidden = false;
    state.phase = 'loaded';
  } catch (e) {
    if (seq !== loadSeq) return;
    loaded = null;
    state.rows = null;
    byId('setup').hidden = true;
    byId('preview').replaceChildren();
    byId('data-status').textContent = `${name} could not be read.`;
    state.phase = 'error';
    showError(e);
  }
}

/** The page's epoch budget for networks (a whole number from 1). */
function epochBudget(): number {
  const raw = byId<HTMLInputElement>('epochs').value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isInteger(v) || v < 1) {
    throw new ValidationError('param', `Epochs (networks) must be a whole number >= 1, got "${raw}"`);
  }
  return v;
}

/** Re-renders the parameter controls for the ticked detectors (their placeholders follow the form). */
function refreshParams(): void {
  const { choice, detectors } = readChoice();
  let epochs = 100;
  try {
    epochs = epochBudget();
  } catch {
    // the placeholder keeps the default budget until the field holds a valid number
  }
  const seed = Number(byId<HTMLInputElement>('seed').value) || 0;
  renderParams(state.registered, detectors, { epochs, seed, cols: choice.features.length });
}

const client = new TrainingClient(onWorkerEvent);

function setTraining(on: boolean): void {
  byId<HTMLButtonElement>('train').disabled = on;
  byId<HTMLButtonElement>('cancel').disabled = !on;
}

function onWorkerEvent(ev: WorkerEvent): void {
  switch (ev.type) {
    case 'ready':
      state.kernel = ev.kernel;
      state.registered = ev.detectors;
      renderDetectors(ev.detectors);
      refreshParams();
      return;
    case 'start':
      history.start(ev.detector);
      addLossOption(ev.detector);
      say(`fitting ${ev.detector} (${ev.index + 1} of ${ev.total})…`);
      return;
    case 'progress':
      onProgress(ev);
      return;
    case 'result':
      if (!ctx) return;
      outcomes.push(outcomeOf(ev.result, ctx));
      state.metrics[ev.result.detector] = outcomes[outcomes.length - 1].metrics;
      state.fits[ev.result.detector] = { fitSeconds: ev.result.fitSeconds, steps: lastStep.get(ev.result.detector) ?? 0 };
      showResults();
      return;
    case 'done':
      // The run is over: the loss chart moves to the detector the results show (unless the user picked one).
      if (lossFollowsFit) showLossOf(byId<HTMLSelectElement>('view').value);
      finish('done', `done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return;
    case 'cancelled':
      state.cancelMs = cancelledAt === null ? null : performance.now() - cancelledAt;
      finish('cancelled', 'cancelled');
      return;
    case 'error':
      finish('error', `failed${ev.detector ? ` (${ev.detector})` : ''}`);
      showError(new Error(ev.message));
      return;
  }
}

function say(text: string): void {
  byId('train-status').textContent = `${state.kernel ? `${state.kernel}\n` : ''}${text}`;
}

function finish(phase: AppState['phase'], text: string): void {
  state.phase = phase;
  setTraining(false);
  byId('eta').textContent = '';
  if (phase === 'done') {
    state.progress = 1;
    byId<HTMLProgressElement>('progress').value = 1;
  }
  say(text);
}

let pendingDraw = false;
function onProgress(ev: Extract<WorkerEvent, { type: 'progress' }>): void {
  history.add(ev.detector, ev.step, ev.metrics);
  lastStep.set(ev.detector, ev.step);
  const total = Number(byId('progress').dataset.total ?? 1);
  const fraction = Math.min(1, (ev.index + ev.step / Math.max(1, ev.totalSteps)) / total);
  state.progress = fraction;
  byId<HTMLProgressElement>('progress').value = fraction;
  const elapsed = (performance.now() - started) / 1000;
  const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : 0;
  byId('eta').textContent =
    `${Math.round(fraction * 100)}% · about ${eta.toFixed(1)} s left (at most: early stopping may end sooner)`;
  say(`fitting ${ev.detector}: ${ev.unit} ${ev.step} of ${ev.totalSteps}`);
  if (!pendingDraw && byId<HTMLSelectElement>('loss-detector').value === ev.detector) {
    pendingDraw = true;
    requestAnimationFrame(() => {
      pendingDraw = false;
      drawLoss();
    });
  }
}

/** Adds a detector to the loss chart's choice; the chart moves to it while it follows the fit. */
function addLossOption(detector: string): void {
  const select = byId<HTMLSelectElement>('loss-detector');
  if (![...select.options].some((o) => o.value === detector)) select.append(el('option', { value: detector, text: detector }));
  if (lossFollowsFit) {
    select.value = detector;
    drawLoss();
  }
}

/** Shows the losses of a detector the user picked (in the loss chart's choice or the results' one). */
function showLossOf(detector: string): void {
  const select = byId<HTMLSelectElement>('loss-detector');
  if (![...select.options].some((o) => o.value === detector)) return;
  lossFollowsFit = false;
  select.value = detector;
  drawLoss();
}

/** The loss chart of the detector chosen in `#loss-detector`: ABC's normal and anomaly losses, else its loss. */
function drawLoss(): void {
  const detector = byId<HTMLSelectElement>('loss-detector').value;
  const series = history.series(detector);
  drawLines(byId<HTMLCanvasElement>('loss-chart'), series, { xLabel: 'epoch / iteration', yLabel: 'training loss' });
  state.lossChart = { detector, series: series.map((s) => s.name), points: series.map((s) => s.points.length) };
  byId('loss-caption').textContent = detector && series.length === 0 ? `${detector} reports no loss while fitting` : '';
}

function showResults(): void {
  if (!ctx) return;
  byId('results').hidden = false;
  renderMetricsTable(outcomes);
  const view = byId<HTMLSelectElement>('view');
  const keep = view.value;
  view.replaceChildren(...outcomes.map((o) => el('option', { value: o.result.detector, text: o.result.detector })));
  if (outcomes.some((o) => o.result.detector === keep)) view.value = keep;
  showSelected();
  const models = byId<HTMLSelectElement>('score-model');
  models.replaceChildren(
    ...outcomes
      .filter((o) => o.result.onnx)
      .map((o) => el('option', { value: o.result.detector, text: `${o.result.detector}.onnx` })),
  );
  byId('scoring').hidden = models.options.length === 0;
}

function showSelected(): void {
  const name = byId<HTMLSelectElement>('view').value;
  const o = outcomes.find((x) => x.result.detector === name);
  if (o && ctx) renderDetector(o, ctx);
}

/** Reads the form, has the data worker build the dataset, and starts the fit in the training worker. */
async function train(): Promise<void> {
  if (!loaded || client.busy || building) return;
  clearError();
  state.phase = 'preparing';
  const { choice, detectors } = readChoice();
  let ds: Dataset;
  let requests: DetectorRequest[];
  let epochs: number;
  building = true;
  byId<HTMLButtonElement>('train').disabled = true;
  try {
    if (detectors.length === 0) throw new ValidationError('param', 'no detector is ticked: tick at least one');
    epochs = epochBudget();
    requests = readParams(state.registered, detectors);
    ds = await data.build(choice);
    if (!ds.labels) {
      const supervised = detectors.filter((d) => state.registered.find((r) => r.name === d)?.supervision === 'supervised');
      if (supervised.length)
        throw new ValidationError(
          'labels',
          `${supervised.join(', ')} need labels: choose a label or kind column, or untick them`,
        );
    }
  } catch (e) {
    state.phase = 'error';
    showError(e);
    return;
  } finally {
    building = false;
    byId<HTMLButtonElement>('train').disabled = false;
  }
  const seed = Number(byId<HTMLInputElement>('seed').value) || 0;
  const testFraction = Number(byId<HTMLInputElement>('test-fraction').value) || 0.3;
  const scaler = byId<HTMLSelectElement>('scaler').value as ScalerChoice;
  const plan = planFit(ds, { detectors: requests, epochs, seed, testFraction, scaler });
  ctx = { ds, split: plan.split, grid: plan.grid };
  outcomes = [];
  history = new LossHistory();
  lastStep = new Map();
  lossFollowsFit = true;
  byId('loss-detector').replaceChildren();
  state.metrics = {};
  state.fits = {};
  state.lossChart = null;
  state.progress = 0;
  state.phase = 'training';
  byId('training').hidden = false;
  byId('results').hidden = true;
  byId('progress').dataset.total = String(detectors.length);
  byId<HTMLProgressElement>('progress').value = 0;
  setTraining(true);
  started = performance.now();
  say('starting…');
  client.fit(plan.job);
}

async function scoreFile(file: File): Promise<void> {
  clearError();
  const name = byId<HTMLSelectElement>('score-model').value;
  const o = outcomes.find((x) => x.result.detector === name);
  if (!o?.result.onnx) return;
  const status = byId('score-status');
  try {
    status.textContent = `opening ${name}.onnx in onnxruntime-web…`;
    const prefer = new URLSearchParams(location.search).get('provider') === 'wasm' ? 'wasm' : 'webgpu';
    const model = await openModel(o.result.onnx, prefer);
    const t0 = performance.now();
    const X = await data.matrixFor(
      { kind: 'file', file, name: file.name },
      model.detector.featureNames ?? null,
      model.detector.nFeatures ?? null,
    );
    const scores = await model.detector.scoreSamples(X);
    const ms = performance.now() - t0;
    state.scoring = { detector: name, backend: model.backend, fallbackReason: model.fallbackReason, scores: Array.from(scores) };
    status.textContent = `backend: ${model.backend}${model.fallbackReason ? ` (WebGPU not used: ${model.fallbackReason})` : ''}\n${file.name}: ${scores.length} rows scored in ${ms.toFixed(1)} ms`;
    const rows = Array.from(scores.slice(0, 20), (s, i) =>
      el('tr', {}, [el('td', { text: String(i + 1) }), el('td', { text: s.toPrecision(7) })]),
    );
    byId('score-table').replaceChildren(
      el('table', { 'aria-label': 'scores of the second file' }, [
        el('tr', {}, [el('th', { text: 'row' }), el('th', { text: 'score' })]),
        ...rows,
      ]),
    );
  } catch (e) {
    status.textContent = '';
    showError(e);
  }
}

const drop = byId('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void load({ kind: 'file', file: f, name: f.name }, f.name);
});
byId<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void load({ kind: 'file', file: f, name: f.name }, f.name);
});
byId('sample').addEventListener('click', () => void load({ kind: 'sample', nPerClass: 500, seed: 0 }, 'the toy sample'));
byId('train').addEventListener('click', () => void train());
byId('cancel').addEventListener('click', () => {
  cancelledAt = performance.now();
  client.cancel();
});
byId('view').addEventListener('change', () => {
  showSelected();
  showLossOf(byId<HTMLSelectElement>('view').value);
});
byId('loss-detector').addEventListener('change', () => showLossOf(byId<HTMLSelectElement>('loss-detector').value));
// A parameter's text is checked as the user leaves its input, with the command line's message when it is bad.
byId('params').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const message = checkParamInput(state.registered, input);
  if (message !== null) {
    input.dataset.error = message;
    showError(new Error(message));
  } else {
    if (state.error !== null && state.error === input.dataset.error) clearError();
    delete input.dataset.error;
  }
});
// The parameter controls follow the ticked detectors, the feature count (the 2-D network) and the epoch budget.
byId('setup').addEventListener('change', (e) => {
  const target = e.target as HTMLElement;
  if (target.closest('#features, #detectors') || target.id === 'epochs' || target.id === 'seed') refreshParams();
});
byId<HTMLInputElement>('score-file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void scoreFile(f);
});
registerServiceWorker();

import { buildDataset, type Dataset } from './data/dataset.js';
import { previewCsv } from './data/inspect.js';
import { toySampleCsv } from './data/sample.js';
import { splitRows } from './data/split.js';
import type { HeldOutMetrics } from './eval/metrics.js';
import { openModel, scoreCsv } from './onnx/score.js';
import { registerIsolationWorker } from './sw-register.js';
import { TrainingClient } from './train/client.js';
import type { DetectorInfo, ScalerChoice, WorkerEvent } from './train/protocol.js';
import { drawLines, type Series } from './ui/charts.js';
import { byId, el } from './ui/dom.js';
import { boxAround, makeGrid } from './ui/heatmap.js';
import { outcomeOf, renderDetector, renderMetricsTable, type Outcome, type ResultContext } from './ui/results.js';
import { readChoice, renderColumns, renderDetectors, renderPreview } from './ui/setup.js';

/** What the page exposes for tests and the curious (`window.__abcApp`). */
interface AppState {
  phase: 'idle' | 'loaded' | 'training' | 'done' | 'cancelled' | 'error';
  error: string | null;
  kernel: string | null;
  registered: DetectorInfo[];
  crossOriginIsolated: boolean;
  progress: number;
  metrics: Record<string, HeldOutMetrics>;
  scoring: { detector: string; backend: string; fallbackReason: string | null; scores: number[] } | null;
}

const state: AppState = {
  phase: 'idle',
  error: null,
  kernel: null,
  registered: [],
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  progress: 0,
  metrics: {},
  scoring: null,
};
(window as unknown as { __abcApp: AppState }).__abcApp = state;

let csv: { text: string; name: string } | null = null;
let ctx: ResultContext | null = null;
let outcomes: Outcome[] = [];
let history = new Map<string, Map<string, [number, number][]>>();
let started = 0;
let currentDetector = '';

function showError(e: unknown): void {
  const message = (e as Error)?.message ?? String(e);
  state.error = message;
  byId('error').textContent = message;
}

function clearError(): void {
  state.error = null;
  byId('error').textContent = '';
}

function loadText(text: string, name: string): void {
  clearError();
  try {
    const p = previewCsv(text, name);
    csv = { text, name };
    renderPreview(p);
    renderColumns(p);
    byId('setup').hidden = false;
    state.phase = 'loaded';
  } catch (e) {
    csv = null;
    byId('setup').hidden = true;
    byId('preview').replaceChildren();
    byId('data-status').textContent = `${name} could not be read.`;
    state.phase = 'error';
    showError(e);
  }
}

async function loadFile(file: File): Promise<void> {
  loadText(await file.text(), file.name);
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
      return;
    case 'start':
      currentDetector = ev.detector;
      history.set(ev.detector, new Map());
      say(`fitting ${ev.detector} (${ev.index + 1} of ${ev.total})…`);
      return;
    case 'progress':
      onProgress(ev);
      return;
    case 'result':
      if (!ctx) return;
      outcomes.push(outcomeOf(ev.result, ctx));
      state.metrics[ev.result.detector] = outcomes[outcomes.length - 1].metrics;
      showResults();
      return;
    case 'done':
      finish('done', `done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return;
    case 'cancelled':
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
  const h = history.get(ev.detector) ?? new Map<string, [number, number][]>();
  history.set(ev.detector, h);
  for (const [k, v] of Object.entries(ev.metrics)) {
    if (!h.has(k)) h.set(k, []);
    h.get(k)!.push([ev.step, v]);
  }
  const total = Number(byId('progress').dataset.total ?? 1);
  const fraction = Math.min(1, (ev.index + ev.step / Math.max(1, ev.totalSteps)) / total);
  state.progress = fraction;
  byId<HTMLProgressElement>('progress').value = fraction;
  const elapsed = (performance.now() - started) / 1000;
  const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : 0;
  byId('eta').textContent =
    `${Math.round(fraction * 100)}% · about ${eta.toFixed(1)} s left (at most: early stopping may end sooner)`;
  say(`fitting ${ev.detector}: ${ev.unit} ${ev.step} of ${ev.totalSteps}`);
  if (!pendingDraw) {
    pendingDraw = true;
    requestAnimationFrame(() => {
      pendingDraw = false;
      drawLoss();
    });
  }
}

/** The loss chart of the detector being fitted: ABC's normal and anomaly losses, else its first metric. */
function drawLoss(): void {
  const h = history.get(currentDetector);
  if (!h) return;
  const keys = h.has('lossNormal') && h.has('lossAnomaly') ? ['lossNormal', 'lossAnomaly'] : [...h.keys()].slice(0, 1);
  const colors: Record<string, string> = { lossNormal: '#1f77b4', lossAnomaly: '#ff7f0e' };
  const names: Record<string, string> = { lossNormal: 'normal loss', lossAnomaly: 'anomaly loss' };
  const series: Series[] = keys.map((k) => ({
    name: `${currentDetector}: ${names[k] ?? k}`,
    color: colors[k] ?? '#2ca02c',
    points: h.get(k)!,
  }));
  drawLines(byId<HTMLCanvasElement>('loss-chart'), series, { xLabel: 'epoch / iteration', yLabel: 'training loss' });
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

function train(): void {
  if (!csv || client.busy) return;
  clearError();
  const { choice, detectors } = readChoice();
  let ds: Dataset;
  try {
    ds = buildDataset(csv.text, csv.name, choice);
    if (detectors.length === 0) throw new Error('no detector is ticked: tick at least one');
    if (!ds.labels) {
      const supervised = detectors.filter((d) => state.registered.find((r) => r.name === d)?.supervision === 'supervised');
      if (supervised.length)
        throw new Error(`${supervised.join(', ')} need labels: choose a label or kind column, or untick them`);
    }
  } catch (e) {
    state.phase = 'error';
    showError(e);
    return;
  }
  const epochs = Number(byId<HTMLInputElement>('epochs').value) || 100;
  const seed = Number(byId<HTMLInputElement>('seed').value) || 0;
  const testFraction = Number(byId<HTMLInputElement>('test-fraction').value) || 0.3;
  const split = splitRows(ds.labels, ds.unknown, { testFraction, seed });
  const cols = ds.X.cols;
  const grid = cols === 2 ? { size: 64, box: boxAround(ds.X.data, ds.X.rows) } : null;
  ctx = { ds, split, grid };
  outcomes = [];
  history = new Map();
  state.metrics = {};
  state.progress = 0;
  state.phase = 'training';
  byId('training').hidden = false;
  byId('results').hidden = true;
  byId('progress').dataset.total = String(detectors.length);
  byId<HTMLProgressElement>('progress').value = 0;
  setTraining(true);
  started = performance.now();
  say('starting…');
  client.fit({
    X: Float32Array.from(ds.X.data),
    rows: ds.X.rows,
    cols,
    featureNames: [...(ds.X.featureNames ?? [])],
    labels: ds.labels ? Uint8Array.from(ds.labels) : null,
    train: Uint32Array.from(split.train),
    detectors: detectors.map((name) => ({ name })),
    settings: { epochs, seed },
    scaler: byId<HTMLSelectElement>('scaler').value as ScalerChoice,
    grid: grid ? makeGrid(grid.size, grid.box) : null,
  });
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
    const scores = await scoreCsv(model.detector, await file.text(), file.name);
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
  if (f) void loadFile(f);
});
byId<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void loadFile(f);
});
byId('sample').addEventListener('click', () => loadText(toySampleCsv({ nPerClass: 500, seed: 0 }), 'toy-sample.csv'));
byId('train').addEventListener('click', train);
byId('cancel').addEventListener('click', () => client.cancel());
byId('view').addEventListener('change', showSelected);
byId<HTMLInputElement>('score-file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void scoreFile(f);
});
registerIsolationWorker();

import { tableToMatrix, table, isStringColumn } from '@abc/core';
import { parseCsv } from '@abc/eval';
import { inspectOnnx, METADATA_KEYS } from '@abc/onnx-export';
import { drawHeatmap, makeGrid, type Points } from './heatmap.js';
import { openScorer, type Scorer } from './runtime.js';

/** What the page exposes for tests and curious users (window.__abcDemo). */
interface DemoState {
  status: 'loading' | 'ready' | 'error';
  provider?: string;
  fallbackReason?: string | null;
  adapter?: Record<string, unknown> | null;
  grid?: { size: number; box: { x0: number; x1: number; y0: number; y1: number } };
  scores?: number[];
  milliseconds?: number;
  csv?: { rows: number; flagged: number; scores: number[] };
  error?: string;
}

const state: DemoState = { status: 'loading' };
(window as unknown as { __abcDemo: DemoState }).__abcDemo = state;
const statusEl = document.getElementById('status')!;
const canvas = document.getElementById('heatmap') as HTMLCanvasElement;
const params = new URLSearchParams(location.search);
const prefer = params.get('provider') === 'wasm' ? 'wasm' : 'webgpu';
const box = { x0: -4.5, x1: 3, y0: -2.5, y1: 5 };
let scorer: Scorer | null = null;
let featureNames: string[] | null = null;
let points: Points | null = null;

function say(text: string) {
  statusEl.textContent = text;
}

async function loadModel(bytes: Uint8Array, label: string) {
  state.status = 'loading';
  say(`opening ${label}…`);
  const info = inspectOnnx(bytes);
  const width = Number(info.inputs[0]?.dims?.[1]);
  const names = info.metadata[METADATA_KEYS.featureNames];
  featureNames = names ? (JSON.parse(names) as string[]) : null;
  scorer = await openScorer(bytes, prefer);
  state.provider = scorer.provider;
  state.fallbackReason = scorer.fallbackReason;
  state.adapter = scorer.adapter;
  const lines = [
    `model: ${label} (${info.metadata[METADATA_KEYS.detector] ?? 'a detector'}, ${width} features)`,
    `execution provider: ${scorer.provider}${scorer.fallbackReason ? ` (WebGPU unavailable: ${scorer.fallbackReason})` : ''}`,
  ];
  if (scorer.adapter) lines.push(`WebGPU adapter: ${JSON.stringify(scorer.adapter)}`);
  if (width === 2) {
    const size = Number(params.get('grid') ?? 96);
    const { grid, data } = makeGrid(size, box);
    const t0 = performance.now();
    const scores = await scorer.score(data, size * size, 2);
    const ms = performance.now() - t0;
    drawHeatmap(canvas, grid, scores, points);
    state.grid = { size, box };
    state.scores = Array.from(scores);
    state.milliseconds = ms;
    lines.push(`scored a ${size}×${size} grid in ${ms.toFixed(1)} ms`);
  } else {
    lines.push('the heatmap needs a model with 2 features; drop a CSV to score its rows');
  }
  state.status = 'ready';
  say(lines.join('\n'));
}

async function scoreCsvText(text: string, name: string) {
  if (!scorer) throw new Error('no model loaded');
  const { table: t } = parseCsv(text, { name });
  let cols = t;
  if (featureNames) {
    const index = new Map(t.names.map((n, j) => [n, j]));
    const missing = featureNames.find((n) => !index.has(n));
    if (missing) throw new Error(`${name}: column "${missing}" that the model was fitted on is missing`);
    cols = table(featureNames, featureNames.map((n) => t.columns[index.get(n)!]));
  } else {
    cols = table(
      t.names.filter((_, j) => !isStringColumn(t.columns[j])),
      t.columns.filter((c) => !isStringColumn(c)),
    );
  }
  const X = tableToMatrix(cols);
  const t0 = performance.now();
  const scores = await scorer.score(X.data, X.rows, X.cols);
  const flagged = scores.filter((s) => s > 0.5).length;
  state.csv = { rows: X.rows, flagged, scores: Array.from(scores) };
  const rows = Array.from(scores.slice(0, 20), (s, i) => `<tr><td>${i + 1}</td><td>${s.toPrecision(6)}</td></tr>`).join('');
  document.getElementById('csv')!.innerHTML =
    `<p>${name}: ${X.rows} rows scored in ${(performance.now() - t0).toFixed(1)} ms on ${scorer.provider}; ${flagged} with score &gt; 0.5</p>` +
    `<table><tr><th>row</th><th>score</th></tr>${rows}</table>`;
}

async function onFile(file: File) {
  try {
    if (file.name.toLowerCase().endsWith('.onnx')) await loadModel(new Uint8Array(await file.arrayBuffer()), file.name);
    else await scoreCsvText(await file.text(), file.name);
  } catch (e) {
    state.status = 'error';
    state.error = (e as Error).message;
    say(`error: ${(e as Error).message}`);
  }
}

const drop = document.getElementById('drop')!;
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void onFile(f);
});
(document.getElementById('file') as HTMLInputElement).addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void onFile(f);
});

async function start() {
  try {
    const base = import.meta.env.BASE_URL;
    points = (await (await fetch(`${base}toy-points.json`)).json()) as Points;
    const bytes = new Uint8Array(await (await fetch(`${base}toy-abc.onnx`)).arrayBuffer());
    await loadModel(bytes, 'toy-abc.onnx (bundled: ABC trained on the 2-D toy data)');
  } catch (e) {
    state.status = 'error';
    state.error = (e as Error).message;
    say(`error: ${(e as Error).message}`);
  }
}

void start();

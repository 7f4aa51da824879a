import {
  BackendUnavailableError,
  ModelFormatError,
  NotFittedError,
  ValidationError,
  alignFeatures,
  commonDetectorParams,
  copyParams,
  hasDetector,
  registerDetector,
  resolveParams,
  tensor,
  validateMatrix,
  type Detector,
  type DetectorEntry,
  type MatrixLike,
  type ModelState,
  type ParamSpace,
  type Supervision,
} from '@abc/core';
import { inspectOnnx, type OnnxModelInfo } from '../inspect.js';
import { GRAPH_CRC_KEY } from '../graph.js';
import { ONNX_TARGET } from '../target.js';
import { METADATA_KEYS } from '../to-onnx.js';
import { ONNX_BACKENDS, isNode, openSession, type OnnxBackend, type OpenedSession, type OrtModule } from './backends.js';

export type OnnxDetectorParams = {
  /** Unused (an ONNX model is fixed); present because every detector has a seed. */
  seed: number;
  /** Overrides the threshold stored in the model (score > threshold is an anomaly). */
  threshold: number | null;
  /** Must stay null: an ONNX model has no training scores to take a quantile of. */
  contamination: number | null;
  /** Where the model runs: 'cpu' or 'cuda' (onnxruntime-node), 'wasm' (onnxruntime-web), 'webgpu' (browser). */
  backend: OnnxBackend;
  /** Opt-in backend to use when `backend` is unavailable (e.g. 'cpu' for 'cuda'); null raises instead. */
  fallback: OnnxBackend | null;
  /**
   * Rows per inference call (bounds the memory of one run). `null` (the default): automatic, from the model's
   * `abc.work_bytes_per_row` estimate, see {@link autoBatchSize}; {@link OnnxDetector.effectiveBatchSize} says which.
   */
  batchSize: number | null;
};

/**
 * The working memory an automatic batch aims at per run: 256 MiB. A neighbours, SVM, PReNet or XGBOD graph holds
 * intermediates of (rows) × (what the model stores), e.g. 8 bytes per row and reference row for KNN's distances,
 * so a fixed 65,536-row batch on a KNN of 7,000 rows would need 3.7 GB in one run: more than onnxruntime-web's
 * wasm32 heap can give (4 GB address space, with the model and the arena in it), and wasted memory in Node. At
 * 256 MiB such a run stays well inside either, and a batch of a few thousand rows loses nothing measurable to the
 * per-call overhead (microseconds, against the per-row work of these graphs). onnxruntime's CPU arena rounds its
 * growth up, so the process may grow by up to about twice the budget (measured, KNN on 7,000 rows × 10 features
 * scoring 20,000 rows in batches of 4,271: 476 MB with the arena, a peak about 245 MB above the start without it;
 * 1.2 GB in one batch of 20,000).
 */
export const AUTO_BATCH_BUDGET_BYTES = 256 * 1024 * 1024;

/** The largest automatic batch, and the batch of a model without a working-memory estimate: 65,536 rows. */
export const AUTO_BATCH_MAX_ROWS = 65536;

/**
 * The automatic batch size for a model whose graph needs `workBytesPerRow` bytes of working memory per scored
 * row (its `abc.work_bytes_per_row` metadata): min({@link AUTO_BATCH_MAX_ROWS}, max(1, floor(budget /
 * workBytesPerRow))) with the budget {@link AUTO_BATCH_BUDGET_BYTES} by default; {@link AUTO_BATCH_MAX_ROWS} when
 * there is no estimate (undefined, or not a positive finite number).
 *
 * @example
 * autoBatchSize(62_840);    // 4,271: a KNN on 7,000 reference rows × 10 features (k = 5)
 * autoBatchSize(undefined); // 65,536: a dense or tree model, or an export older than the estimate
 */
export function autoBatchSize(workBytesPerRow: number | undefined, budget: number = AUTO_BATCH_BUDGET_BYTES): number {
  if (workBytesPerRow === undefined || !Number.isFinite(workBytesPerRow) || !(workBytesPerRow > 0)) return AUTO_BATCH_MAX_ROWS;
  return Math.min(AUTO_BATCH_MAX_ROWS, Math.max(1, Math.floor(budget / workBytesPerRow)));
}

export const onnxDetectorParamSpace: ParamSpace = {
  ...commonDetectorParams,
  contamination: { ...commonDetectorParams.contamination, description: 'must stay null: an ONNX model has no training scores' },
  backend: {
    type: 'choice',
    default: isNode ? 'cpu' : 'wasm',
    choices: ONNX_BACKENDS,
    description: "execution provider: 'cpu' | 'cuda' (onnxruntime-node), 'wasm' (onnxruntime-web), 'webgpu' (browser)",
  },
  fallback: {
    type: 'choice',
    default: null,
    nullable: true,
    choices: ONNX_BACKENDS,
    description: 'backend used when `backend` is unavailable (opt-in; null raises BackendUnavailableError)',
  },
  batchSize: {
    type: 'int',
    default: null,
    nullable: true,
    min: 1,
    description:
      "rows per inference call; null = automatic: min(65536, 256 MiB / the model's working bytes per row), 65536 for models without that estimate",
  },
};

export interface OnnxDetectorOptions extends Partial<OnnxDetectorParams> {
  /** An onnxruntime module to use instead of importing one (a page that loaded its own build). */
  runtime?: OrtModule;
  /** Extra onnxruntime session options (the execution provider is always the chosen backend alone). */
  sessionOptions?: Record<string, unknown>;
  /** Called when the fallback backend is used, with the error of the requested one. */
  onFallback?: (error: BackendUnavailableError) => void;
}

/** All outputs of one run: `score`, and `reconstructionError` / `label` when the model has them. */
export interface OnnxOutputs {
  score: Float32Array;
  reconstructionError?: Float32Array;
  label?: BigInt64Array;
}

interface Loaded {
  bytes: Uint8Array;
  info: OnnxModelInfo;
  nFeatures: number;
  featureNames: readonly string[] | undefined;
  modelThreshold: number | undefined;
  hasProbability: boolean;
  acceptsMissing: boolean;
  workBytesPerRow: number | undefined;
}

/**
 * A scoring-only {@link Detector} backed by an exported ONNX model: it stands in for the fitted pipeline it was
 * exported from (the scaler is inside the graph) wherever one scores, in Node (`cpu`, `cuda`, `wasm`) and the
 * browser (`wasm`, `webgpu`). `fit` raises: it never enters a model search, which refits.
 *
 * The backend is used alone; when it is unavailable, `BackendUnavailableError` says why (for `cuda`, how to
 * install the provider) unless a `fallback` was asked for, which is then used and reported through
 * `onFallback` and {@link OnnxDetector.activeBackend}.
 *
 * Rows are scored in batches of `batchSize`; by default (`null`) the batch is automatic: a model whose graph
 * grows with what it stores (KNN, LOF, OCSVM, SVM, PReNet, XGBOD) records its working bytes per row, and the batch
 * keeps a run within {@link AUTO_BATCH_BUDGET_BYTES} (see {@link autoBatchSize}); other models get 65,536 rows.
 * An explicit `batchSize` wins. {@link OnnxDetector.effectiveBatchSize} is the batch used.
 *
 * @example
 * const det = await OnnxDetector.load('model.onnx', { backend: 'cuda', fallback: 'cpu' });
 * const scores = await det.scoreSamples(X);   // Float32Array, as the exported pipeline's
 * det.activeBackend;                          // 'cpu' where CUDA is not installed
 *
 * @example
 * const knn = await OnnxDetector.load(toOnnx(await new KNN().fit(X7000)));  // 7,000 reference rows × 10 features
 * knn.effectiveBatchSize;                     // 4,271 rows per run (about 256 MiB), not 65,536
 * knn.setParams({ batchSize: 1024 });         // an explicit batch wins: 1,024
 */
export class OnnxDetector implements Detector<OnnxDetectorParams> {
  readonly name = 'onnx';
  /** It learns nothing (scoring only); the exported detector's supervision is in {@link info}. */
  readonly supervision: Supervision = 'unsupervised';
  private params: OnnxDetectorParams;
  private loaded: Loaded | null = null;
  private opening: Promise<OpenedSession> | null = null;
  private opened: OpenedSession | null = null;
  private readonly runtime: OrtModule | undefined;
  private readonly sessionOptions: Record<string, unknown> | undefined;
  private readonly onFallback: ((error: BackendUnavailableError) => void) | undefined;

  constructor(options: OnnxDetectorOptions = {}) {
    const { runtime, sessionOptions, onFallback, ...params } = options;
    this.params = checkParams(params);
    this.runtime = runtime;
    this.sessionOptions = sessionOptions;
    this.onFallback = onFallback;
  }

  /**
   * Loads a model (bytes, a file path in Node, or a URL) and starts its session, so an unavailable backend
   * raises here rather than at the first score.
   */
  static async load(source: Uint8Array | ArrayBuffer | string | URL, options: OnnxDetectorOptions = {}): Promise<OnnxDetector> {
    const det = new OnnxDetector(options);
    det.setModel(await readSource(source));
    await det.session();
    return det;
  }

  /** Sets the model bytes (sync; the session starts on the next score or {@link ready}). */
  setModel(bytes: Uint8Array | ArrayBuffer): this {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const info = inspectOnnx(u8);
    const input = info.inputs.find((i) => i.name === ONNX_TARGET.inputName);
    if (input?.dims.length !== 2) {
      throw new ModelFormatError(
        `ONNX model has no input "${ONNX_TARGET.inputName}" of shape [N, D] (inputs: ${info.inputs.map((i) => i.name).join(', ')})`,
      );
    }
    if (!info.outputs.some((o) => o.name === ONNX_TARGET.outputs.score)) {
      throw new ModelFormatError(
        `ONNX model has no output "${ONNX_TARGET.outputs.score}" (outputs: ${info.outputs.map((o) => o.name).join(', ')})`,
      );
    }
    const m = info.metadata;
    const storedCrc = m[GRAPH_CRC_KEY];
    if (storedCrc !== undefined && storedCrc !== String(info.graphCrc32)) {
      throw new ModelFormatError(
        `ONNX model checksum mismatch (abc.graph_crc32 ${storedCrc}, computed ${info.graphCrc32}): the file is corrupt or was edited`,
      );
    }
    const fromMeta = Number(m[METADATA_KEYS.nFeatures]);
    const nFeatures = typeof input.dims[1] === 'number' ? input.dims[1] : fromMeta;
    if (!Number.isInteger(nFeatures) || nFeatures < 1)
      throw new ModelFormatError('ONNX model input "X" has no fixed feature count');
    let featureNames: string[] | undefined;
    if (m[METADATA_KEYS.featureNames] !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(m[METADATA_KEYS.featureNames]);
      } catch (e) {
        throw new ModelFormatError(`ONNX model metadata abc.feature_names is not valid JSON: ${(e as Error).message}`, {
          cause: e,
        });
      }
      if (!Array.isArray(parsed) || parsed.length !== nFeatures)
        throw new ModelFormatError('ONNX model metadata abc.feature_names does not match the input width');
      featureNames = parsed.map(String);
    }
    const t = m[METADATA_KEYS.threshold] !== undefined ? Number(m[METADATA_KEYS.threshold]) : undefined;
    // A hint only: a missing or unreadable value leaves the largest batch (older exports have none).
    const work = m[METADATA_KEYS.workBytesPerRow] !== undefined ? Number(m[METADATA_KEYS.workBytesPerRow]) : undefined;
    this.release();
    this.loaded = {
      bytes: u8,
      info,
      nFeatures,
      featureNames,
      modelThreshold: t !== undefined && !Number.isNaN(t) ? t : undefined,
      hasProbability: m[METADATA_KEYS.hasProbability] === 'true',
      acceptsMissing: m[METADATA_KEYS.acceptsMissing] === 'true',
      workBytesPerRow: work !== undefined && Number.isFinite(work) && work > 0 ? work : undefined,
    };
    return this;
  }

  /** The model's header, inputs, outputs and metadata (detector, params, versions, feature names). */
  get info(): OnnxModelInfo {
    return this.model.info;
  }
  /** The bytes of the ONNX model. */
  get modelBytes(): Uint8Array {
    return this.model.bytes;
  }
  /** The backend the session runs on (the fallback where it was used); undefined before the session starts. */
  get activeBackend(): OnnxBackend | undefined {
    return this.opened?.backend;
  }
  get hasProbability(): boolean {
    return this.loaded?.hasProbability ?? false;
  }
  /** True when the model imputes missing values itself (its first step is an imputer), so X may hold NaN. */
  get acceptsMissing(): boolean {
    return this.loaded?.acceptsMissing ?? false;
  }
  get fitted(): boolean {
    return this.loaded !== null;
  }
  get nFeatures(): number | undefined {
    return this.loaded?.nFeatures;
  }
  get featureNames(): readonly string[] | undefined {
    return this.loaded?.featureNames;
  }
  /**
   * The model's estimate of its working memory per scored row in bytes (metadata `abc.work_bytes_per_row`);
   * undefined for models without one (small per-row intermediates, or an older export) or before a model is set.
   */
  get workBytesPerRow(): number | undefined {
    return this.loaded?.workBytesPerRow;
  }
  /**
   * The rows per inference call that scoring uses: the `batchSize` param when set, else the automatic batch for the
   * loaded model ({@link autoBatchSize} of {@link workBytesPerRow}); undefined while `batchSize` is null and no
   * model is set.
   *
   * @example
   * (await OnnxDetector.load(abcBytes)).effectiveBatchSize;                    // 65,536 (a dense model)
   * (await OnnxDetector.load(knnBytes, { batchSize: 500 })).effectiveBatchSize; // 500
   */
  get effectiveBatchSize(): number | undefined {
    if (this.params.batchSize !== null) return this.params.batchSize;
    return this.loaded ? autoBatchSize(this.loaded.workBytesPerRow) : undefined;
  }
  /** The `threshold` param, else the model's, else 0.5 for a probability; undefined otherwise. */
  get threshold(): number | undefined {
    if (this.params.threshold !== null) return this.params.threshold;
    if (!this.loaded) return undefined;
    return this.loaded.modelThreshold ?? (this.loaded.hasProbability ? 0.5 : undefined);
  }

  async fit(): Promise<this> {
    throw new ValidationError(
      'type',
      'OnnxDetector is scoring-only: it cannot fit. Fit the original detector or pipeline and export it again with toOnnx',
    );
  }

  /** Starts the session now (it starts on the first score otherwise); resolves to the backend used. */
  async ready(): Promise<OnnxBackend> {
    return (await this.session()).backend;
  }

  async scoreSamples(X: MatrixLike): Promise<Float32Array> {
    return (await this.run(X, [ONNX_TARGET.outputs.score])).score;
  }

  async predictProba(X: MatrixLike): Promise<Float32Array> {
    if (!this.model.hasProbability) {
      throw new ValidationError(
        'type',
        `this ONNX model (${this.model.info.metadata[METADATA_KEYS.detector] ?? 'unknown detector'}) gives no probability of anomaly; use scoreSamples`,
      );
    }
    return this.scoreSamples(X);
  }

  /** 1 where score > threshold (the same rule as the model's `label` output). */
  async predict(X: MatrixLike): Promise<Uint8Array> {
    const t = this.threshold;
    if (t === undefined) {
      throw new ValidationError(
        'param',
        'this ONNX model stores no threshold and gives no probability: set the "threshold" param',
      );
    }
    const s = await this.scoreSamples(X);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] > t ? 1 : 0;
    return out;
  }

  /** The reconstruction error L per row, for models that have a `reconstruction_error` output (autoencoders). */
  async reconstructionError(X: MatrixLike): Promise<Float32Array> {
    const name = ONNX_TARGET.outputs.reconstructionError;
    if (!this.model.info.outputs.some((o) => o.name === name)) {
      throw new ValidationError('type', `this ONNX model has no "${name}" output (not an autoencoder)`);
    }
    return (await this.run(X, [name])).reconstructionError!;
  }

  /** Every output of the model (or those named in `outputs`) on X, after the same checks as scoreSamples. */
  async run(X: MatrixLike, outputs?: readonly string[]): Promise<OnnxOutputs> {
    const m = this.model;
    const Xm = alignFeatures(validateMatrix(X, { allowMissing: m.acceptsMissing }), m.nFeatures, m.featureNames, 'OnnxDetector');
    const names = outputs ?? m.info.outputs.map((o) => o.name);
    const { ort, session } = await this.session();
    const n = Xm.rows;
    const d = Xm.cols;
    const result: OnnxOutputs = { score: new Float32Array(0) };
    const buffers: Record<string, Float32Array | BigInt64Array> = {};
    for (const name of names) buffers[name] = name === ONNX_TARGET.outputs.label ? new BigInt64Array(n) : new Float32Array(n);
    const B = this.effectiveBatchSize!;
    for (let s = 0; s < n; s += B) {
      const rows = Math.min(B, n - s);
      const feed = new ort.Tensor('float32', Xm.data.subarray(s * d, (s + rows) * d), [rows, d]);
      const out = await session.run({ [ONNX_TARGET.inputName]: feed }, names);
      for (const name of names) {
        const t = out[name];
        if (!t) throw new ModelFormatError(`ONNX model gave no "${name}" output`);
        const data = t.data as Float32Array | BigInt64Array;
        if (data.length !== rows) throw new ModelFormatError(`ONNX output "${name}" has ${data.length} values for ${rows} rows`);
        (buffers[name] as Float32Array).set(data as Float32Array, s);
      }
    }
    const o = ONNX_TARGET.outputs;
    if (buffers[o.score]) result.score = buffers[o.score] as Float32Array;
    if (buffers[o.reconstructionError]) result.reconstructionError = buffers[o.reconstructionError] as Float32Array;
    if (buffers[o.label]) result.label = buffers[o.label] as BigInt64Array;
    return result;
  }

  getParams(): OnnxDetectorParams {
    return copyParams(this.params) as OnnxDetectorParams;
  }

  /** Changes params; a new backend restarts the session. The model stays (it cannot be refitted anyway). */
  setParams(params: Partial<OnnxDetectorParams>): this {
    const next = checkParams({ ...this.params, ...params });
    const restart = next.backend !== this.params.backend || next.fallback !== this.params.fallback;
    this.params = next;
    if (restart) this.release();
    return this;
  }

  /** A copy with equal params sharing the same model (an ONNX detector cannot be refitted, so the model stays). */
  clone(): OnnxDetector {
    const c = new OnnxDetector({
      ...this.params,
      runtime: this.runtime,
      sessionOptions: this.sessionOptions,
      onFallback: this.onFallback,
    });
    if (this.loaded) c.setModel(this.loaded.bytes);
    return c;
  }

  /** The model bytes as a `u8` tensor, so an ONNX detector saves and loads like any detector (registry name `onnx`). */
  getState(): ModelState {
    const m = this.model;
    return {
      meta: {
        nFeatures: m.nFeatures,
        featureNames: m.featureNames ? [...m.featureNames] : null,
        threshold: this.threshold ?? null,
      },
      tensors: { model: tensor(m.bytes) },
    };
  }

  setState(state: ModelState): void {
    const t = state.tensors.model;
    if (!t || !(t.data instanceof Uint8Array)) throw new ModelFormatError('OnnxDetector state lacks the u8 tensor "model"');
    this.setModel(t.data);
  }

  /** Releases the onnxruntime session (a later score starts a new one). */
  async close(): Promise<void> {
    const opened = this.opened;
    this.release();
    await opened?.session.release?.();
  }

  private get model(): Loaded {
    if (this.loaded === null) throw new NotFittedError('OnnxDetector (no model loaded: use OnnxDetector.load)');
    return this.loaded;
  }

  private release(): void {
    this.opening = null;
    this.opened = null;
  }

  private session(): Promise<OpenedSession> {
    const bytes = this.model.bytes;
    if (!this.opening) {
      const { backend, fallback } = this.params;
      const options = { runtime: this.runtime, sessionOptions: this.sessionOptions };
      const p = openSession(bytes, backend, options)
        .catch(async (e) => {
          if (!(e instanceof BackendUnavailableError) || fallback === null || fallback === backend) throw e;
          this.onFallback?.(e);
          return openSession(bytes, fallback, options);
        })
        .catch((e) => {
          if (e instanceof BackendUnavailableError || e instanceof ModelFormatError) throw e;
          throw new ModelFormatError(`onnxruntime could not load the model: ${(e as Error)?.message ?? String(e)}`, { cause: e });
        });
      this.opening = p;
      p.then(
        (s) => {
          if (this.opening === p) this.opened = s;
        },
        () => {
          if (this.opening === p) this.opening = null;
        },
      );
    }
    return this.opening;
  }
}

function checkParams(params: Partial<OnnxDetectorParams>): OnnxDetectorParams {
  const p = resolveParams(onnxDetectorParamSpace, params as Record<string, unknown>, 'OnnxDetector') as OnnxDetectorParams;
  if (p.contamination !== null) {
    throw new ValidationError(
      'param',
      'OnnxDetector: "contamination" must be null: an ONNX model has no training scores; set "threshold" instead',
    );
  }
  return p;
}

async function readSource(source: Uint8Array | ArrayBuffer | string | URL): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = source instanceof URL ? source : null;
  if (isNode && (url === null || url.protocol === 'file:')) {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url ?? (source as string)));
  }
  const response = await fetch(source);
  if (!response.ok) throw new ModelFormatError(`could not fetch the ONNX model at ${String(source)}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The registry entry of {@link OnnxDetector} (name `onnx`), so saved ONNX detectors load through the registry. */
export const onnxDetectorEntry: DetectorEntry = {
  name: 'onnx',
  supervision: 'unsupervised',
  hasProbability: false,
  description: 'scores an exported ONNX model in onnxruntime (scoring only; cpu, cuda, wasm, webgpu)',
  paramSpace: onnxDetectorParamSpace,
  create: (params) => new OnnxDetector(params as Partial<OnnxDetectorParams>),
};

/** Registers `onnx` in the core registry (idempotent), for persistence and the CLI. */
export function registerOnnxDetector(): void {
  if (!hasDetector('onnx')) registerDetector(onnxDetectorEntry);
}

import type { Detector } from '@abc/core';
import { loadFile } from '@abc/core/node';
import type { FastifyBaseLogger } from 'fastify';
import { DynamicBatcher } from './batcher.js';
import { notFound } from './errors.js';
import type { ServeMetrics } from './metrics.js';
import { readModelBytes, scanRepository, type RepositoryModel, type RepositoryVersion } from './repository.js';
import { DetectorRunner, OnnxRunner, type ModelRunner } from './runners.js';
import { ModelStats } from './stats.js';
import { checkTritonConfig, tritonModelConfig, type ServedModelFacts, type TritonModelConfig } from './triton-config.js';
import type { ScoringPool } from './worker-pool.js';

/** One model version being served: its runner and its batcher. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly runner: ModelRunner;
  readonly batcher: DynamicBatcher;
  /** `max_batch_size` of the model's config.pbtxt: requests with more rows are refused (as Triton does). */
  readonly maxBatchSize: number | undefined;
  readonly signature: string;
  /** The configuration it runs with, as `GET .../config` answers it (Triton's `ModelConfig` in JSON). */
  readonly config: TritonModelConfig;
  /** Its statistics since it was loaded, as `GET .../stats` answers them. */
  readonly stats: ModelStats;
}

/** The server's batching settings, applied to every model (with its config.pbtxt where that says more). */
export interface BatchingOptions {
  /** Most rows merged into one run; a model's config.pbtxt max_batch_size lowers it for that model. */
  maxBatchSize: number;
  /** The queue delay for every model; undefined: each model's config.pbtxt dynamic_batching delay, else 0. */
  maxQueueDelayMs: number | undefined;
  maxQueueSize: number;
}

export interface ModelManagerOptions {
  /** The Triton-layout model repository. */
  dir: string;
  /** The worker pool for ONNX models (made on first use). */
  pool: () => ScoringPool;
  batching: BatchingOptions;
  metrics: ServeMetrics;
  log: FastifyBaseLogger;
  /** Loads a saved model (default: `loadFile` of `@abc/core/node`, through the registry). */
  loadDetector?: (file: string) => Promise<Detector>;
}

/**
 * The models a server serves: the newest loadable version of every model in the repository (Triton's default
 * version policy), reloaded when a newer version folder appears or a model file changes. A new version is loaded
 * before it replaces the old one, and the old one is retired only after its queued and running requests are
 * answered, so a reload drops no request. A version that fails to load is logged and not retried until its file
 * changes; the previous version goes on serving.
 *
 * @example
 * const models = new ModelManager({ dir: 'models', pool: () => pool, batching, metrics, log });
 * await models.refresh();
 * const m = models.get('fraud_abc');            // the newest version; models.get('fraud_abc', '1') for one
 */
export class ModelManager {
  private readonly current = new Map<string, ServedModel>();
  private readonly failed = new Map<string, string>();
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;
  private hurrying = false;
  private loadedOnce = false;

  constructor(private readonly options: ModelManagerOptions) {}

  /** True once the first scan has loaded what it could. */
  get ready(): boolean {
    return this.loadedOnce && !this.closed;
  }

  /** The served model version, or a 404 naming what is served. */
  get(name: string, version?: string): ServedModel {
    const m = this.current.get(name);
    if (!m) throw notFound(`unknown model "${name}"`);
    if (version !== undefined && version !== m.version) {
      throw notFound(`model "${name}" has no version "${version}" being served (serving version ${m.version})`);
    }
    return m;
  }

  /** Every served model version. */
  list(): ServedModel[] {
    return [...this.current.values()];
  }

  /** Scans the repository once and loads, replaces or retires models (one scan at a time). */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.scanAndApply().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  /** Rescans every `ms` milliseconds (0: never). */
  startPolling(ms: number): void {
    if (ms <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((e: unknown) => this.options.log.error({ err: errorText(e) }, 'model repository scan failed'));
    }, ms);
    this.timer.unref();
  }

  /** Dispatches every queued request without waiting for its queue delay (shutdown has begun); still serving. */
  hurry(): void {
    this.hurrying = true;
    for (const m of this.current.values()) m.batcher.hurry();
  }

  /** Stops polling, answers everything queued, and releases every model. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing?.catch(() => undefined);
    const all = [...this.current.values()];
    this.current.clear();
    await Promise.all(all.map((m) => this.retire(m, 'shutdown')));
  }

  private async scanAndApply(): Promise<void> {
    if (this.closed) return;
    const scanned = await scanRepository(this.options.dir);
    for (const model of scanned.values()) await this.apply(model);
    for (const [name, m] of this.current) {
      if (!scanned.has(name)) {
        this.current.delete(name);
        void this.retire(m, 'removed from the repository');
      }
    }
    this.options.metrics.modelsReady.set(this.current.size);
    this.loadedOnce = true;
  }

  private async apply(model: RepositoryModel): Promise<void> {
    const now = this.current.get(model.name);
    for (let i = model.versions.length - 1; i >= 0; i--) {
      const v = model.versions[i];
      if (now && Number(now.version) > Number(v.version)) return;
      if (now && now.version === v.version && now.signature === v.signature) return;
      if (this.failed.get(v.file) === v.signature) continue;
      const served = await this.load(v, model);
      if (!served) continue;
      if (this.closed) {
        await this.retire(served, 'shutdown');
        return;
      }
      if (this.hurrying) served.batcher.hurry();
      this.current.set(model.name, served);
      this.options.log.info(
        { model: v.name, version: v.version, platform: served.runner.platform, features: served.runner.nFeatures },
        'model ready',
      );
      if (now) void this.retire(now, `replaced by version ${v.version}`);
      return;
    }
  }

  private async load(v: RepositoryVersion, model: RepositoryModel): Promise<ServedModel | undefined> {
    const { metrics, log, batching } = this.options;
    const { maxBatchSize, config: file } = model;
    const dyn = file?.dynamic_batching;
    const maxQueueDelayMs = batching.maxQueueDelayMs ?? (dyn ? dyn.max_queue_delay_microseconds / 1000 : 0);
    const preferredBatchSizes = dyn?.preferred_batch_size ?? [];
    let runner: ModelRunner | undefined;
    let config: TritonModelConfig;
    try {
      if (model.configError) throw new Error(model.configError);
      if (v.kind === 'onnx') {
        runner = await OnnxRunner.create(this.options.pool(), `${v.name}/${v.version}#${++this.seq}`, await readModelBytes(v));
      } else {
        runner = new DetectorRunner(await (this.options.loadDetector ?? loadFile)(v.file));
      }
      const facts: ServedModelFacts = {
        name: v.name,
        platform: runner.platform,
        nFeatures: runner.nFeatures,
        outputs: runner.outputs,
        batching: { maxQueueDelayMs, preferredBatchSizes },
        instances: runner.concurrency,
      };
      if (file) checkTritonConfig(file, facts, `${v.name}/config.pbtxt`);
      config = tritonModelConfig(file, facts);
    } catch (e) {
      await runner?.close().catch(() => undefined);
      this.failed.set(v.file, v.signature);
      metrics.modelLoads.inc({ model: v.name, result: 'error' });
      log.error({ model: v.name, version: v.version, err: errorText(e) }, 'model failed to load');
      return undefined;
    }
    this.failed.delete(v.file);
    metrics.modelLoads.inc({ model: v.name, result: 'ok' });
    const stats = new ModelStats(v.name, v.version);
    const batcher = new DynamicBatcher(runner, runner.nFeatures, {
      name: v.name,
      maxBatchSize: Math.min(batching.maxBatchSize, maxBatchSize ?? Infinity),
      maxQueueDelayMs,
      preferredBatchSizes,
      maxQueueSize: batching.maxQueueSize,
      onBatch: (rows, requests) => {
        metrics.batchRows.observe({ model: v.name }, rows);
        metrics.batchRequests.observe({ model: v.name }, requests);
      },
      onQueueDepth: (depth) => metrics.queueDepth.set({ model: v.name }, depth),
      onExecution: (e) => stats.recordExecution(e),
    });
    return { name: v.name, version: v.version, runner, batcher, maxBatchSize, signature: v.signature, config, stats };
  }

  private async retire(m: ServedModel, why: string): Promise<void> {
    await m.batcher.drain();
    await m.runner.close().catch(() => undefined);
    this.options.log.info({ model: m.name, version: m.version, reason: why }, 'model version retired');
  }
}

/** An error's message alone (logs carry no stack traces of scoring errors' internals). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

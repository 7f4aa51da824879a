import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Detector } from '@abc/core';
import { ValidationError } from '@abc/core';
import { bearerCheck } from './auth.js';
import { ServeError } from './errors.js';
import { ModelManager, errorText } from './models.js';
import { ServeMetrics } from './metrics.js';
import { registerRoutes } from './routes.js';
import { InlinePool, WorkerPool, type ScoringPool } from './worker-pool.js';

/** Options of {@link createServer} and {@link startServer}. */
export interface ServeOptions {
  /** The Triton-layout model repository: `DIR/NAME/VERSION/model.onnx` (or `model.abc`), `DIR/NAME/config.pbtxt`. */
  models: string;
  /** Port to listen on (default 8000, Triton's HTTP port; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). */
  host?: string;
  /** Bearer token every non-health request must carry (default: env ABC_SERVE_TOKEN; none when unset). */
  token?: string;
  /** Most rows merged into one run by dynamic batching (default 1024; 1 turns merging off for 1-row requests). */
  maxBatchSize?: number;
  /**
   * How long a request may wait for others to merge with, in ms, for every model (default: each model's config.pbtxt
   * `dynamic_batching { max_queue_delay_microseconds }`, else 0: requests merge only while the workers are busy).
   */
  maxQueueDelayMs?: number;
  /** Most requests waiting per model before 503 with Retry-After (default 1024). */
  maxQueueSize?: number;
  /** Largest request body in bytes (default 64 MiB): 413 above it, from Content-Length or while streaming. */
  maxBodyBytes?: number;
  /**
   * Worker threads running onnxruntime-node sessions (default: min(2, CPU count)); 0 runs them on the main thread,
   * one batch at a time (no hand-off between threads: less CPU per request for small models, see BENCHMARK.md).
   */
  workers?: number;
  /** onnxruntime intra-op threads per worker (default 1). */
  threadsPerWorker?: number;
  /** How often to rescan the repository for new versions, in ms (default 2000; 0: never). */
  pollIntervalMs?: number;
  /** JSON logs (pino) at this level; false for none (default false in the API, 'info' in the CLI). */
  logger?: false | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** After SIGTERM, how long in-flight requests may take before their connections are cut (default 30000 ms). */
  shutdownGraceMs?: number;
  /** Loads a saved model (default `loadFile` of `@abc/core/node`: register the detectors first). */
  loadDetector?: (file: string) => Promise<Detector>;
}

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

function positiveInt(name: string, v: number | undefined, fallback: number, min = 1): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < min)
    throw new ValidationError('param', `${name} must be an integer >= ${min}, got ${String(v)}`);
  return x;
}

/**
 * A scoring server: a Fastify app with the Open Inference Protocol v2 routes, its models and its worker pool.
 * Made by {@link createServer} (not listening) or {@link startServer} (listening).
 */
export class OipServer {
  /** The Fastify instance (`app.inject` works before listening). */
  readonly app: FastifyInstance;
  readonly models: ModelManager;
  readonly metrics: ServeMetrics;
  /** Resolves once the first repository scan has loaded the models (rejects when the repository is unreadable). */
  readonly loaded: Promise<void>;
  /** Resolves once {@link OipServer.close} has finished. */
  readonly closed: Promise<void>;
  private markClosed: () => void = () => undefined;
  private pool: ScoringPool | undefined;
  private shuttingDown = false;
  private closing: Promise<void> | undefined;
  private readonly options: ServeOptions;

  /** @internal Use {@link createServer}. */
  constructor(options: ServeOptions) {
    this.options = options;
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    const maxBodyBytes = positiveInt('maxBodyBytes', options.maxBodyBytes, 64 * 1024 * 1024);
    const workers = positiveInt('workers', options.workers, Math.min(2, availableParallelism()), 0);
    const threadsPerWorker = positiveInt('threadsPerWorker', options.threadsPerWorker, 1);
    const batching = {
      maxBatchSize: positiveInt('maxBatchSize', options.maxBatchSize, 1024),
      maxQueueDelayMs: options.maxQueueDelayMs,
      maxQueueSize: positiveInt('maxQueueSize', options.maxQueueSize, 1024),
    };
    if (batching.maxQueueDelayMs !== undefined && !(batching.maxQueueDelayMs >= 0))
      throw new ValidationError('param', `maxQueueDelayMs must be >= 0, got ${String(options.maxQueueDelayMs)}`);
    const pollIntervalMs = options.pollIntervalMs ?? 2000;
    const token = options.token ?? process.env.ABC_SERVE_TOKEN;

    this.app = Fastify({
      logger: options.logger ? { level: options.logger } : false,
      bodyLimit: maxBodyBytes,
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      forceCloseConnections: 'idle',
    });
    this.metrics = new ServeMetrics();
    this.models = new ModelManager({
      dir: options.models,
      pool: () =>
        (this.pool ??=
          workers === 0 ? new InlinePool({ threadsPerWorker }) : new WorkerPool({ size: workers, threadsPerWorker })),
      batching,
      metrics: this.metrics,
      log: this.app.log,
      loadDetector: options.loadDetector,
    });

    const app = this.app;
    // Bodies are read as bytes and parsed by the protocol code (JSON, or JSON + binary tensors), whatever the type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    const check = token ? bearerCheck(token) : undefined;
    if (check) app.addHook('onRequest', async (req) => check(req.url, req.headers.authorization));
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      const code = String(reply.statusCode);
      this.metrics.requests.inc({ route, code });
      if (reply.statusCode >= 400) this.metrics.errors.inc({ route, code });
      this.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    });
    // From shutdown on, every answer closes its connection: a kept-alive client does not hold the server open
    // (Node closes idle connections once, at close; one that turns idle afterwards would linger until the grace).
    app.addHook('onSend', (_req, reply, payload, done) => {
      if (this.shuttingDown) reply.header('connection', 'close');
      done(null, payload);
    });
    app.setNotFoundHandler(async (req, reply) =>
      reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }),
    );
    app.setErrorHandler(async (err: FastifyError | ServeError | Error, req, reply) => {
      if (err instanceof ServeError) {
        return reply.code(err.status).headers(err.headers).send({ error: err.message });
      }
      const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
      if (status === 413) return reply.code(413).send({ error: `the request body is larger than ${maxBodyBytes} bytes` });
      if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
      req.log.error({ err: errorText(err), url: req.url }, 'internal error');
      return reply.code(500).send({ error: 'internal server error' });
    });

    registerRoutes(app, {
      models: this.models,
      metrics: this.metrics,
      isReady: () => this.models.ready && !this.shuttingDown,
      serverName: 'abc-serve',
      serverVersion: pkg.version,
    });

    this.loaded = this.models.refresh().then(() => {
      this.models.startPolling(pollIntervalMs);
      app.log.info({ models: this.models.list().map((m) => `${m.name}/${m.version}`) }, 'models loaded');
    });
    // Not awaited here: an unreadable repository surfaces through `loaded` (startServer awaits it).
    this.loaded.catch(() => undefined);
  }

  /** Listens; resolves to the base URL (`http://127.0.0.1:PORT`). */
  async listen(port = this.options.port ?? 8000, host = this.options.host ?? '127.0.0.1'): Promise<string> {
    await this.app.listen({ port, host });
    const addr = this.app.server.address();
    const p = typeof addr === 'object' && addr ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
    this.app.log.info({ url, port: p }, 'listening');
    return url;
  }

  /**
   * Graceful shutdown: readiness turns false, the listener closes (new connections are refused, requests on open
   * connections get 503), in-flight requests are answered, then the models and workers are released.
   */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.app.log.info('shutting down');
    const grace = setTimeout(() => this.app.server.closeAllConnections(), this.options.shutdownGraceMs ?? 30_000);
    grace.unref();
    try {
      await this.loaded.catch(() => undefined);
      // Requests already received wait for no batching delay: they are answered as fast as the workers go.
      this.models.hurry();
      await this.app.close();
      await this.models.close();
      await this.pool?.close();
    } finally {
      clearTimeout(grace);
      this.markClosed();
    }
    this.app.log.info('shutdown complete');
  }
}

/**
 * Makes a scoring server for a Triton-layout model repository without listening (use `server.app.inject` in
 * tests, or `server.listen()`); the models start loading at once.
 *
 * @example
 * const server = createServer({ models: 'models', maxBatchSize: 256, maxQueueDelayMs: 1 });
 * await server.loaded;
 * const res = await server.app.inject({ method: 'GET', url: '/v2/models/fraud_abc' });
 */
export function createServer(options: ServeOptions): OipServer {
  return new OipServer(options);
}

/** A listening server: its base URL and a promise that resolves when it has shut down. */
export interface StartedServer {
  server: OipServer;
  url: string;
  /** Resolves after {@link OipServer.close} finished (after SIGTERM/SIGINT with `handleSignals`). */
  closed: Promise<void>;
}

/**
 * Loads the models, listens, and (with `handleSignals`) shuts down gracefully on SIGTERM or SIGINT.
 *
 * @example
 * const { url, closed } = await startServer({ models: 'models', port: 8000, handleSignals: true });
 * await inferOip(url, 'fraud_abc', [[0.1, 0.2]]);
 * await closed;   // after SIGTERM: every in-flight request answered
 */
export async function startServer(options: ServeOptions & { handleSignals?: boolean }): Promise<StartedServer> {
  const server = createServer(options);
  try {
    await server.loaded;
  } catch (e) {
    await server.close().catch(() => undefined);
    throw e;
  }
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      server.app.log.info({ signal }, 'signal received');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      server.close().catch((e: unknown) => server.app.log.error({ err: errorText(e) }, 'shutdown failed'));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  const url = await server.listen();
  return { server, url, closed: server.closed };
}

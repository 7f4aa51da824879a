import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServeError } from './errors.js';
import type { ModelManager, ServedModel } from './models.js';
import type { ServeMetrics } from './metrics.js';
import { INFERENCE_HEADER, encodeInferResponse, parseInferRequest, type OipTensorMetadata } from './protocol.js';
import type { ModelStatsResponse } from './stats.js';

type ModelParams = { name: string; version?: string };

export interface RouteContext {
  models: ModelManager;
  metrics: ServeMetrics;
  /** True from the first completed repository scan until shutdown begins. */
  isReady: () => boolean;
  serverName: string;
  serverVersion: string;
}

function modelOf(models: ModelManager, req: FastifyRequest): ServedModel {
  const p = req.params as ModelParams;
  return models.get(p.name, p.version);
}

function metadata(m: ServedModel) {
  const inputs: OipTensorMetadata[] = [{ name: 'X', datatype: 'FP32', shape: [-1, m.runner.nFeatures] }];
  const outputs: OipTensorMetadata[] = m.runner.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: [-1] }));
  return { name: m.name, versions: [m.version], platform: m.runner.platform, inputs, outputs };
}

/** When each inference request arrived (its whole time in the server is counted in the statistics). */
const arrivals = new WeakMap<FastifyRequest, number>();

/**
 * The Open Inference Protocol v2 REST endpoints (health, server and model metadata, model readiness, inference
 * in JSON or with binary tensors), Triton's model configuration and statistics extensions, and `/metrics`.
 */
export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { models, metrics } = ctx;

  app.get('/v2/health/live', async () => ({ live: true }));
  // The protocol: 200 means true, a 4xx status means false.
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = ctx.isReady();
    return reply.code(ready ? 200 : 400).send({ ready });
  });
  app.get('/v2', async () => ({
    name: ctx.serverName,
    version: ctx.serverVersion,
    extensions: ['binary_tensor_data', 'model_configuration', 'statistics'],
  }));
  // Triton's statistics extension: every served model version (a static route, so it wins over /v2/models/:name).
  app.get(
    '/v2/models/stats',
    async (): Promise<ModelStatsResponse> => ({ model_stats: models.list().map((m) => m.stats.toJSON()) }),
  );

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, async (req) => metadata(modelOf(models, req)));
    app.get(`${prefix}/ready`, async (req) => ({ name: modelOf(models, req).name, ready: true }));
    // Triton's model configuration extension: the JSON form of the ModelConfig the version runs with.
    app.get(`${prefix}/config`, async (req) => modelOf(models, req).config);
    app.get(
      `${prefix}/stats`,
      async (req): Promise<ModelStatsResponse> => ({ model_stats: [modelOf(models, req).stats.toJSON()] }),
    );
    app.post(`${prefix}/infer`, {
      // An unknown model or version is answered before the body is read.
      onRequest: async (req) => {
        arrivals.set(req, performance.now());
        modelOf(models, req);
      },
      handler: async (req, reply) => {
        const m = modelOf(models, req);
        const since = () => performance.now() - (arrivals.get(req) ?? performance.now());
        try {
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const header = req.headers[INFERENCE_HEADER];
          const parsed = parseInferRequest(body, Array.isArray(header) ? header[0] : header, {
            nFeatures: m.runner.nFeatures,
            outputs: m.runner.outputs,
            maxBatchSize: m.maxBatchSize,
          });
          // get() and submit() run in one tick: a reload cannot retire this version in between.
          let values: Awaited<ReturnType<typeof m.batcher.submit>>;
          try {
            values = await m.batcher.submit(parsed.X, parsed.rows);
          } catch (e) {
            if (e instanceof ServeError) throw e;
            req.log.error(
              { model: m.name, version: m.version, err: e instanceof Error ? e.message : String(e) },
              'inference failed',
            );
            throw new ServeError('INTERNAL', `inference failed for model "${m.name}" version ${m.version}`);
          }
          metrics.inferences.inc({ model: m.name, version: m.version });
          const out = encodeInferResponse(m.name, m.version, parsed, m.runner.outputs, values);
          m.stats.recordSuccess(parsed.rows, since());
          return reply.headers(out.headers).send(out.body);
        } catch (e) {
          m.stats.recordFailure(since());
          throw e;
        }
      },
    });
  }

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}

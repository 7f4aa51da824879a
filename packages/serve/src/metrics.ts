import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, on a registry of its own (two servers in one process do not share counts):
 * HTTP requests and errors by route and status, request latency, inference requests and rows per model, the
 * rows and requests of every batch (merging shows as requests per batch > 1), and each model's queue depth.
 *
 * @example
 * const m = new ServeMetrics();
 * m.batchRequests.observe({ model: 'fraud' }, 3);
 * const text = await m.registry.metrics();   // Prometheus text format, served at GET /metrics
 */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'abc_serve_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'abc_serve_errors_total',
    help: 'HTTP requests answered with a status >= 400, by route and status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'abc_serve_request_duration_seconds',
    help: 'Time from a request arriving to its answer, by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly inferences = new Counter({
    name: 'abc_serve_inference_requests_total',
    help: 'Inference requests scored, by model and version',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly batchRows = new Histogram({
    name: 'abc_serve_batch_rows',
    help: 'Rows in each onnxruntime (or in-process) run after dynamic batching',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    registers: [this.registry],
  });
  readonly batchRequests = new Histogram({
    name: 'abc_serve_batch_requests',
    help: 'Requests merged into each run by dynamic batching',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'abc_serve_queue_depth',
    help: 'Inference requests waiting for a batch, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly modelLoads = new Counter({
    name: 'abc_serve_model_loads_total',
    help: 'Model version loads, by model and result (ok, error)',
    labelNames: ['model', 'result'] as const,
    registers: [this.registry],
  });
  readonly modelsReady = new Gauge({
    name: 'abc_serve_models_ready',
    help: 'Model versions being served',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'abc_serve_' });
  }
}

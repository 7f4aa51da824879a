import { startServer, type ServeOptions } from '@abc/serve';
import { parseFlags, str, type FlagValues } from '../args.js';
import { UsageError } from '../errors.js';
import { required } from './fit.js';

export const serveHelp = `abc serve: score models over HTTP (KServe Open Inference Protocol v2, Triton binary tensors)

Usage: abc serve --models DIR [--port N] [--host H] [--token T] [--max-batch-size N] [--max-queue-delay-ms N]
                 [--max-queue-size N] [--max-body-bytes N] [--workers N] [--poll-ms N] [--log-level L]

Serves every model of a Triton-layout repository, as \`abc export --triton DIR\` writes it: DIR/NAME/VERSION/model.onnx
(scored by onnxruntime-node in worker threads) or DIR/NAME/VERSION/model.abc (a saved model, scored in-process), the
newest version of each; a new version folder (or an edited config.pbtxt) is loaded without dropping requests.
config.pbtxt's max_batch_size and dynamic_batching (max_queue_delay_microseconds, preferred_batch_size) apply.
Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/NAME[/versions/V][/ready|/config|/stats],
/v2/models/stats, POST /v2/models/NAME[/versions/V]/infer (input "X" FP32 [N, D]; outputs score,
reconstruction_error, label), GET /metrics (Prometheus). Logs are JSON lines on stdout.
SIGTERM or Ctrl-C: stop accepting, answer what is in flight, exit 0. See docs/deploy.md.

  --models DIR            the model repository (required)
  --port N                port (default 8000; 0 picks a free one)
  --host H                address (default 127.0.0.1; 0.0.0.0 for every interface)
  --token T               require "Authorization: Bearer T" on everything but /v2/health/* (default: env ABC_SERVE_TOKEN)
  --max-batch-size N      most rows dynamic batching merges into one run (default 1024; 1: no merging of 1-row requests)
  --max-queue-delay-ms N  how long a request may wait for others to merge with, for every model (default: each
                          model's config.pbtxt max_queue_delay_microseconds, else 0: only while workers are busy)
  --max-queue-size N      requests waiting per model before 503 + Retry-After (default 1024)
  --max-body-bytes N      largest request body (default 67108864); larger ones get 413
  --workers N             worker threads running onnxruntime (default: min(2, CPUs)); 0 runs onnxruntime on the
                          main thread, one batch at a time: less CPU per request for small models and 1-row
                          requests (no hand-off between threads), but a batch blocks the event loop while it runs
  --poll-ms N             how often to look for new model versions (default 2000; 0: never)
  --log-level L           fatal, error, warn, info (default), debug
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Level = (typeof LEVELS)[number];

function num(values: FlagValues, name: string, min: number, integer = true): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${text}"`);
  }
  return n;
}

export async function runServe(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      models: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'max-batch-size': { type: 'string' },
      'max-queue-delay-ms': { type: 'string' },
      'max-queue-size': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      workers: { type: 'string' },
      'poll-ms': { type: 'string' },
      'log-level': { type: 'string' },
    },
    'serve',
  );
  if (values.help) {
    out(serveHelp);
    return 0;
  }
  const level = str(values, 'log-level') ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level))
    throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}, got "${level}"`);
  const options: ServeOptions & { handleSignals: boolean } = {
    models: required(values, 'models', 'serve'),
    port: num(values, 'port', 0),
    host: str(values, 'host'),
    token: str(values, 'token'),
    maxBatchSize: num(values, 'max-batch-size', 1),
    maxQueueDelayMs: num(values, 'max-queue-delay-ms', 0, false),
    maxQueueSize: num(values, 'max-queue-size', 1),
    maxBodyBytes: num(values, 'max-body-bytes', 1),
    workers: num(values, 'workers', 0),
    pollIntervalMs: num(values, 'poll-ms', 0),
    logger: level as Level,
    handleSignals: true,
  };
  const { closed } = await startServer(options);
  await closed;
  return 0;
}

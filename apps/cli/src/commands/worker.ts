import { safeUrl, startWorker, type WorkerEvent } from '@abc/queue';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { loadedPlugins } from '../plugins.js';
import { required } from './fit.js';

export const workerHelp = `abc worker: run search, reproduction and benchmark jobs from a Redis work queue

Usage: abc worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--data-dir DIR] [--plugin MODULE]...

  --queue URL          the queue's Redis: redis://[:PASSWORD@]HOST:PORT[/DB], or rediss://... for TLS;
                       the same address as abc search / reproduce / benchmark --queue
  --concurrency N      jobs at once, each in its own child process (default 1; about one per core)
  --data-dir DIR       folder of the paper's datasets (default env ABC_DATA_DIR, else the cache folder of
                       abc data fetch); a dataset missing there is fetched on the first job that needs it.
                       Benchmark and search jobs need none: their data comes through Redis
  --plugin MODULE      (repeatable) a module that registers detectors, loaded by every job's process, as
                       the submitter loaded it; a job whose detector this worker lacks fails once, naming
                       the detector and the --plugin flag
  --lock-duration MS   a job's lock (default 30000): a worker that dies loses its job to another worker
                       after about this long
  --stalled-interval MS  how often jobs of dead workers are looked for (default 30000)

Results go back through Redis to the abc search / reproduce / benchmark that sent the jobs, which writes the
records.
A crashed job is retried (3 attempts, exponential backoff); a job with bad input fails once. Ctrl-C or SIGTERM
lets the running jobs finish, then stops. See docs/queue.md.
`;

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || text.trim() === '')
    throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

function describe(e: WorkerEvent): string {
  switch (e.type) {
    case 'active':
      return `started ${e.kind} job ${e.id}`;
    case 'completed':
      return `finished ${e.kind} job ${e.id} in ${e.seconds.toFixed(1)} s`;
    case 'failed':
      return `${e.kind} job ${e.id} failed (attempt ${e.attemptsMade}${e.willRetry ? ', will be retried' : ', for good'}): ${e.reason}`;
    case 'error':
      return `queue: ${e.message}`;
  }
}

/**
 * `abc worker`: takes jobs from the queue until Ctrl-C or SIGTERM (`io.signal` in tests), then lets the running
 * jobs finish. Returns the exit code.
 *
 * @example
 * await runWorker(['--queue', 'redis://127.0.0.1:6379', '--concurrency', '2'], console.log);
 */
export async function runWorker(argv: string[], out: (s: string) => void, io: { signal?: AbortSignal } = {}): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      queue: { type: 'string' },
      concurrency: { type: 'string' },
      'data-dir': { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
    },
    'worker',
  );
  if (values.help) {
    out(workerHelp);
    return 0;
  }
  const queueUrl = required(values, 'queue', 'worker');
  const concurrency = positiveInt(str(values, 'concurrency'), '--concurrency') ?? 1;
  const worker = await startWorker({
    queueUrl,
    concurrency,
    dataDir: str(values, 'data-dir') ?? process.env.ABC_DATA_DIR,
    plugins: loadedPlugins().map((p) => p.file),
    lockDuration: positiveInt(str(values, 'lock-duration'), '--lock-duration'),
    stalledInterval: positiveInt(str(values, 'stalled-interval'), '--stalled-interval'),
    onEvent: (e) => out(describe(e)),
  });
  await worker.ready;
  const plugins = loadedPlugins().map((p) => p.spec);
  out(
    `worker on ${safeUrl(queueUrl)}: ${concurrency} job(s) at once${plugins.length > 0 ? `; plugins ${plugins.join(', ')}` : ''}; Ctrl-C to stop`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) resolve();
    io.signal?.addEventListener('abort', stop, { once: true });
  });
  out('stopping: waiting for the running jobs (Ctrl-C again to stop now; they then rerun elsewhere)');
  const now = () => process.exit(130);
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  try {
    await worker.close();
  } finally {
    process.removeListener('SIGINT', now);
    process.removeListener('SIGTERM', now);
  }
  return 0;
}

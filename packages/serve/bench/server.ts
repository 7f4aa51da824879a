// The server process of bench/load.ts: `node --import tsx --conditions=@abc/source bench/server.ts DIR MAX_BATCH_SIZE WORKERS`.
// Prints the URL as one line, then serves until SIGTERM.
import { startServer } from '../src/index.js';

const [dir, maxBatchSize, workers] = process.argv.slice(2);
const { url, closed } = await startServer({
  models: dir,
  port: 0,
  maxBatchSize: Number(maxBatchSize),
  maxQueueDelayMs: 0,
  workers: Number(workers),
  pollIntervalMs: 0,
  handleSignals: true,
});
console.log(url);
await closed;

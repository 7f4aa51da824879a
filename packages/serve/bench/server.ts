// The server process of bench/load.ts: `node --import tsx --conditions=@abc/source bench/server.ts DIR MAX_BATCH_SIZE WORKERS`,
// or `bench/server.ts --bare`: a bare node:http server answering every request with `{"live":true}` (no Fastify, no
// hooks, no work), the ceiling of any Node HTTP/1.1 server on this machine. Prints the URL as one line, then serves
// until SIGTERM.
import { createServer } from 'node:http';
import { startServer } from '../src/index.js';

if (process.argv[2] === '--bare') {
  const body = Buffer.from('{"live":true}');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    console.log(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  });
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
} else {
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
}

// A scoring worker: holds onnxruntime-node sessions (one per model version) and runs them on the batches the
// main thread sends, so inference never blocks the server's event loop. Plain JavaScript (type-checked through
// JSDoc) so that Node runs it as it is, from src/ under tsx and vitest and from dist/ when built.
import { parentPort } from 'node:worker_threads';
import { sessionHost } from './ort-sessions.mjs';

/** @typedef {import('./worker-protocol.js').WorkerRequest} WorkerRequest */

const port = parentPort;
if (!port) throw new Error('ort-worker.mjs runs as a worker thread');
const handle = sessionHost();

port.on('message', (/** @type {WorkerRequest} */ msg) => {
  handle(msg).then(
    (reply) => {
      const transfer = reply.ok && reply.outputs ? Object.values(reply.outputs).map((a) => a.buffer) : [];
      port.postMessage(reply, /** @type {ArrayBuffer[]} */ (transfer));
    },
    (/** @type {unknown} */ e) =>
      port.postMessage({ id: msg.id, ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
});

// The onnxruntime-node sessions of one thread (one per model version) and what runs them: used by every scoring
// worker (`ort-worker.mjs`) and, with `workers: 0`, by the main thread itself (`InlinePool`). Plain JavaScript
// (type-checked through JSDoc) so that Node runs it as it is, from src/ under tsx and vitest and from dist/ when built.
import ort from 'onnxruntime-node';

/** @typedef {import('./worker-protocol.js').WorkerRequest} WorkerRequest */
/** @typedef {import('./worker-protocol.js').WorkerReply} WorkerReply */
/** @typedef {import('./worker-protocol.js').OutputArray} OutputArray */

/**
 * A set of sessions and the handler of the worker protocol's messages on them.
 * @returns {(msg: WorkerRequest) => Promise<WorkerReply>}
 */
export function sessionHost() {
  /** @type {Map<string, import('onnxruntime-node').InferenceSession>} */
  const sessions = new Map();
  return async function handle(msg) {
    switch (msg.type) {
      case 'load': {
        const session = await ort.InferenceSession.create(msg.bytes, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: msg.threads,
          interOpNumThreads: 1,
        });
        const old = sessions.get(msg.key);
        sessions.set(msg.key, session);
        if (old) await old.release();
        return { id: msg.id, ok: true };
      }
      case 'run': {
        const session = sessions.get(msg.key);
        if (!session) return { id: msg.id, ok: false, message: `no session for ${msg.key}` };
        const feed = new ort.Tensor('float32', msg.data, [msg.rows, msg.cols]);
        const t0 = performance.now();
        const out = await session.run({ X: feed }, msg.outputs);
        const t1 = performance.now();
        /** @type {Record<string, OutputArray>} */
        const outputs = {};
        for (const name of msg.outputs) {
          const t = out[name];
          if (!t) return { id: msg.id, ok: false, message: `the model gave no "${name}" output` };
          // Copy into an array that owns its buffer, so it can be transferred (and outlives the session's tensors).
          outputs[name] =
            t.type === 'int64'
              ? BigInt64Array.from(/** @type {BigInt64Array} */ (t.data))
              : Float32Array.from(/** @type {Float32Array} */ (t.data));
          if (outputs[name].length !== msg.rows)
            return { id: msg.id, ok: false, message: `output "${name}" has ${outputs[name].length} values for ${msg.rows} rows` };
        }
        return { id: msg.id, ok: true, outputs, inferMs: t1 - t0, outputMs: performance.now() - t1 };
      }
      case 'unload': {
        const session = sessions.get(msg.key);
        sessions.delete(msg.key);
        if (session) await session.release();
        return { id: msg.id, ok: true };
      }
      default:
        return { id: /** @type {{ id: number }} */ (msg).id, ok: false, message: 'unknown message' };
    }
  };
}

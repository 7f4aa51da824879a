import { packageProject } from '../../vitest.shared.js';

// onnxruntime-node breaks under the vmThreads pool ("A float32 tensor's data must be type of function
// Float32Array"): keep the forks pool. The WebGPU test sets its own, longer timeout.
export default packageProject('onnx-export', { pool: 'forks' });

/**
 * @abc/serve: a scoring server for a Triton-layout model repository (`abc export --triton`), speaking KServe's
 * Open Inference Protocol v2 over REST with Triton's binary tensor extension: onnxruntime-node sessions in worker
 * threads, Triton-style dynamic batching, Prometheus metrics, JSON logs, graceful shutdown, hot reload of new
 * model versions, optional bearer-token auth; and `inferOip`, a typed client for it, Triton and KServe.
 *
 * @module @abc/serve
 */
export { createServer, startServer, OipServer, type ServeOptions, type StartedServer } from './server.js';
export { inferOip, OipError, type InferOipOptions, type InferOipResult, type OipOutputs } from './client.js';
export { ServeError, QueueFullError, UnavailableError, type ServeErrorCode } from './errors.js';
export { DynamicBatcher, type BatcherOptions, type BatchRunner, type BatchRunResult } from './batcher.js';
export { ModelManager, type ServedModel, type BatchingOptions } from './models.js';
export { scanRepository, type RepositoryModel, type RepositoryVersion } from './repository.js';
export { parsePbtxt, PbIdentifier, type PbMessage, type PbValue } from './pbtxt.js';
export {
  readTritonConfig,
  checkTritonConfig,
  tritonModelConfig,
  type TritonConfigFile,
  type TritonModelConfig,
  type TritonTensorConfig,
  type TritonReshape,
  type TritonDynamicBatching,
  type TritonInstanceGroup,
  type ServedModelFacts,
} from './triton-config.js';
export {
  ModelStats,
  type ModelStat,
  type ModelStatsResponse,
  type InferenceStats,
  type BatchStat,
  type DurationStat,
  type ExecutionRecord,
} from './stats.js';
export { ServeMetrics } from './metrics.js';
export { InlinePool, WorkerPool, type ScoringPool } from './worker-pool.js';
export { OnnxRunner, DetectorRunner, type ModelRunner, type TensorSpec } from './runners.js';
export {
  INFERENCE_HEADER,
  parseInferRequest,
  encodeInferResponse,
  type OipInferRequest,
  type OipInferResponse,
  type OipRequestInput,
  type OipRequestOutput,
  type OipResponseOutput,
  type OipTensorMetadata,
  type ParsedInferRequest,
} from './protocol.js';

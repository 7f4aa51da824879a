/**
 * @abc/onnx-export: trained detectors and pipelines to ONNX (`toOnnx`), and a detector that scores an ONNX file
 * in onnxruntime (`OnnxDetector`: cpu, cuda, wasm, webgpu). The converters read only the export specs that
 * detectors and transformers give (`toExportSpec()`), so a plugin's detector exports too. The target versions
 * (`ONNX_TARGET`) are a firm contract (docs/contracts.md): what onnxruntime 1.30 and Debian's onnx 1.12 checker both accept.
 *
 * @module @abc/onnx-export
 */
export { ONNX_TARGET } from './target.js';
export { VERSION } from './version.js';
export { toOnnx, specsToOnnx, METADATA_KEYS, ONNX_FORMAT, type ToOnnxOptions, type ExportInput } from './to-onnx.js';
export { inspectOnnx, type OnnxModelInfo, type OnnxValueInfo } from './inspect.js';
export { GraphBuilder, ElemType, attr, GRAPH_CRC_KEY, graphCrc32, type Attr, type Dim } from './graph.js';
export type { TreeEnsembleSpec } from './convert/trees.js';
export type { DetectorOutputs } from './convert/dense.js';
export { FEATURE_STEPS_MAX_CUTS } from './convert/feature-steps.js';
export { NEIGHBOURS_EXTRA_CANDIDATES, NEIGHBOURS_MAX_VALUES } from './convert/neighbours.js';
export { SVM_MAX_VALUES } from './convert/svm.js';
export type { AddDetector } from './convert/augmented.js';
export {
  AUTO_BATCH_BUDGET_BYTES,
  AUTO_BATCH_MAX_ROWS,
  OnnxDetector,
  autoBatchSize,
  onnxDetectorEntry,
  onnxDetectorParamSpace,
  registerOnnxDetector,
  type OnnxDetectorOptions,
  type OnnxDetectorParams,
  type OnnxOutputs,
} from './runtime/onnx-detector.js';
export {
  CUDA_INSTALL_HINT,
  ONNX_BACKENDS,
  cudaProviderInstalled,
  loadRuntime,
  openSession,
  type OnnxBackend,
  type OrtModule,
  type OrtSession,
  type OrtTensor,
} from './runtime/backends.js';

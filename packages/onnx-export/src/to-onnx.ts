import {
  NotFittedError,
  UnsupportedExportError,
  ValidationError,
  VERSION as CORE_VERSION,
  type DenseExportSpec,
  type Detector,
  type DetectorExportSpec,
  type Params,
  type Transformer,
  type TransformerExportSpec,
} from '@abc/core';
import { describeKind, lowerFloat32 } from './convert/checks.js';
import { addClassical, CLASSICAL_KINDS, isClassicalSpec } from './convert/classical.js';
import { addDense, type DetectorOutputs } from './convert/dense.js';
import { addFeatureResidual, addPairMean, addSemiDense, isSemiDenseSpec } from './convert/semi.js';
import { addTransformer } from './convert/transformers.js';
import { addTrees } from './convert/trees.js';
import { ElemType, GraphBuilder } from './graph.js';
import { ONNX_TARGET } from './target.js';
import { VERSION } from './version.js';

/** Metadata keys written into every exported model (`metadata_props`); values are strings, JSON where noted. */
export const METADATA_KEYS = {
  format: 'abc.format',
  detector: 'abc.detector',
  steps: 'abc.steps',
  params: 'abc.params',
  packageVersion: 'abc.package_version',
  coreVersion: 'abc.core_version',
  nFeatures: 'abc.n_features',
  featureNames: 'abc.feature_names',
  threshold: 'abc.threshold',
  scoreKind: 'abc.score_kind',
  hasProbability: 'abc.has_probability',
  supervision: 'abc.supervision',
  acceptsMissing: 'abc.accepts_missing',
  /**
   * An estimate of the graph's peak working memory per scored row, in bytes (a decimal integer), written when the
   * detector's converter gives one (`neighbours`, `svm`, `pairMean`, `augmented`: intermediates that grow with
   * what the model stores). `OnnxDetector` bounds its automatic batch size by it; a model without it (an older
   * export, or a graph whose per-row intermediates are small) gets the largest batch.
   */
  workBytesPerRow: 'abc.work_bytes_per_row',
} as const;

export const ONNX_FORMAT = 'abc-onnx/1';

export interface ToOnnxOptions {
  /** Feature names to record (default: those seen at fit, when known). Must match the feature count. */
  featureNames?: readonly string[];
  /** Threshold of the `label` output (default: the fitted detector's threshold). */
  threshold?: number;
  /** Write the `label` output when a threshold is known (default true). */
  label?: boolean;
  /** Model doc string (default: a one-line description). */
  docString?: string;
}

/** Everything {@link specsToOnnx} needs: plain data, so any detector or plugin can be exported. */
export interface ExportInput {
  /** Transformer specs applied in order to `X`, then the detector spec. */
  transformers: readonly TransformerExportSpec[];
  detector: DetectorExportSpec;
  nFeatures: number;
  featureNames?: readonly string[];
  /** Threshold of the `label` output; none: no `label`. */
  threshold?: number;
  /** Names of the steps (registry names), for the metadata; default `transformer0..`, `detector`. */
  stepNames?: readonly string[];
  detectorName?: string;
  params?: Params;
  supervision?: string;
  /** Whether the input may hold NaN (the first step imputes them). */
  acceptsMissing?: boolean;
  docString?: string;
}

interface PipelineLike {
  readonly transformers: readonly Transformer[];
  readonly detector: Detector;
}

/**
 * Exports a fitted detector or pipeline to the bytes of an ONNX model (IR 8, opset 17, `ai.onnx.ml` 3),
 * built only from the export specs its steps give (`toExportSpec()`), so a plugin's detector exports too.
 * The graph takes `X` float32 [N, D] (N dynamic) with the transformers inside it, and gives `score` float32
 * [N], `reconstruction_error` float32 [N] for autoencoders and `label` int64 [N] (score > threshold) when a
 * threshold is set. A step without an export spec, or a spec this package cannot convert, raises
 * `UnsupportedExportError`; an unfitted one `NotFittedError`.
 *
 * @example
 * const bytes = toOnnx(pipeline);                 // Pipeline [MinMaxScaler, ABC], fitted
 * await writeFile('model.onnx', bytes);
 * const det = await OnnxDetector.load(bytes);      // scores like the pipeline
 */
export function toOnnx(model: Detector, options: ToOnnxOptions = {}): Uint8Array {
  if (model === null || typeof model !== 'object')
    throw new ValidationError('type', 'toOnnx: expected a fitted detector or pipeline');
  const pipeline = asPipeline(model);
  const detector = pipeline ? pipeline.detector : model;
  const transformers = pipeline ? pipeline.transformers : [];
  if (!model.fitted) throw new NotFittedError(pipeline ? 'Pipeline' : (detector.constructor?.name ?? detector.name));
  if (typeof detector.toExportSpec !== 'function') {
    throw new UnsupportedExportError(
      `detector "${detector.name}" cannot be exported to ONNX: it gives no export spec (toExportSpec)`,
    );
  }
  const tSpecs = transformers.map((t, i) => {
    if (typeof t.toExportSpec !== 'function') {
      throw new UnsupportedExportError(
        `pipeline step ${i} ("${t.name}") cannot be exported to ONNX: it gives no export spec (toExportSpec)`,
      );
    }
    return t.toExportSpec();
  });
  const dSpec = detector.toExportSpec();
  const nFeatures = model.nFeatures!;
  const stepNames =
    pipeline && 'stepNames' in model && typeof model.stepNames === 'function'
      ? (model.stepNames as () => string[])()
      : [...transformers.map((t) => t.name), detector.name];
  const threshold = options.threshold ?? (dSpec as { threshold?: number }).threshold ?? model.threshold;
  return specsToOnnx({
    transformers: tSpecs,
    detector: dSpec,
    nFeatures,
    featureNames: options.featureNames ?? model.featureNames,
    threshold: options.label === false ? undefined : threshold,
    stepNames,
    detectorName: detector.name,
    params: model.getParams(),
    supervision: model.supervision,
    acceptsMissing: transformers[0]?.acceptsMissing ?? false,
    docString: options.docString,
  });
}

/** Detector spec kinds that get the transformers' float64 path (see `addTransformer`). */
const EXACT_INPUT_KINDS: ReadonlySet<string> = new Set(['feature-steps', 'neighbours', 'svm', 'augmented']);

/** Builds the ONNX bytes from plain export specs (what {@link toOnnx} does after collecting them). */
export function specsToOnnx(input: ExportInput): Uint8Array {
  const d = input.nFeatures;
  if (!Number.isInteger(d) || d < 1)
    throw new ValidationError('param', `specsToOnnx: nFeatures must be a positive integer, got ${d}`);
  if (input.featureNames !== undefined && input.featureNames.length !== d) {
    throw new ValidationError('feature-names', `toOnnx: ${input.featureNames.length} feature names for ${d} features`);
  }
  if (input.threshold !== undefined && input.threshold !== null && Number.isNaN(input.threshold)) {
    throw new ValidationError('param', 'toOnnx: threshold is NaN');
  }
  const detectorName = input.detectorName ?? 'detector';
  const b = new GraphBuilder(`abc_${detectorName.replace(/[^A-Za-z0-9_]/g, '_')}`);
  let h = b.input(ONNX_TARGET.inputName, ElemType.float, [ONNX_TARGET.batchDim, d]);
  // Reserve the output names so no intermediate value takes them.
  for (const name of Object.values(ONNX_TARGET.outputs)) b.reserve(name);
  // Detectors whose score jumps at training values (HBOS/ECOD/COPOD cuts) or that compute in float64 (neighbours,
  // SVMs, XGBOD) need the scaler's float64 arithmetic to score as TypeScript does; the networks and trees keep the
  // float32 scaler, so their graphs stay runnable on execution providers without double (WebGPU).
  const exact = EXACT_INPUT_KINDS.has(String((input.detector as { kind?: unknown } | undefined)?.kind));
  input.transformers.forEach((spec, i) => {
    h = addTransformer(b, spec, h, d, `t${i}_${String(spec?.kind ?? 'unknown')}`, exact);
  });

  const { out, scoreKind } = addDetector(b, input.detector, h, d);

  const N = ONNX_TARGET.batchDim;
  const names = ONNX_TARGET.outputs;
  b.node('Identity', [out.score], [names.score], {}, { exactOutputs: true });
  b.output(names.score, ElemType.float, [N]);
  if (out.reconstructionError !== undefined) {
    b.node('Identity', [out.reconstructionError], [names.reconstructionError], {}, { exactOutputs: true });
    b.output(names.reconstructionError, ElemType.float, [N]);
  }
  const threshold = input.threshold ?? undefined;
  if (threshold !== undefined) {
    const above = b.op('Greater', [out.score, b.floatScalar('threshold', lowerFloat32(threshold))], {}, 'above_threshold');
    b.node('Cast', [above], [names.label], { to: { kind: 'int', value: ElemType.int64 } }, { exactOutputs: true });
    b.output(names.label, ElemType.int64, [N]);
  }

  const stepNames = input.stepNames ?? [...input.transformers.map((_, i) => `transformer${i}`), detectorName];
  const metadata: Record<string, string> = {
    [METADATA_KEYS.format]: ONNX_FORMAT,
    [METADATA_KEYS.detector]: detectorName,
    [METADATA_KEYS.steps]: JSON.stringify(stepNames),
    [METADATA_KEYS.params]: JSON.stringify(input.params ?? {}),
    [METADATA_KEYS.packageVersion]: VERSION,
    [METADATA_KEYS.coreVersion]: CORE_VERSION,
    [METADATA_KEYS.nFeatures]: String(d),
    [METADATA_KEYS.scoreKind]: scoreKind,
    [METADATA_KEYS.hasProbability]: String(out.probability),
    [METADATA_KEYS.acceptsMissing]: String(input.acceptsMissing ?? false),
  };
  if (input.supervision) metadata[METADATA_KEYS.supervision] = input.supervision;
  if (input.featureNames) metadata[METADATA_KEYS.featureNames] = JSON.stringify([...input.featureNames]);
  if (threshold !== undefined) metadata[METADATA_KEYS.threshold] = String(threshold);
  const work = out.workBytesPerRow;
  if (work !== undefined && Number.isFinite(work) && work > 0) metadata[METADATA_KEYS.workBytesPerRow] = String(Math.ceil(work));
  return b.toBytes({
    metadata,
    producerName: '@abc/onnx-export',
    producerVersion: VERSION,
    docString:
      input.docString ??
      `${stepNames.join(' -> ')}: input ${ONNX_TARGET.inputName} float32 [N, ${d}]; outputs ${[
        names.score,
        ...(out.reconstructionError !== undefined ? [names.reconstructionError] : []),
        ...(threshold !== undefined ? [names.label] : []),
      ].join(', ')}`,
  });
}

/**
 * Adds a detector spec's graph on `h` (width d) by its kind; the score kind names it in the metadata. Also the
 * dispatch for the members and the head of an `augmented` spec.
 */
function addDetector(
  b: GraphBuilder,
  spec: DetectorExportSpec,
  h: string,
  d: number,
): { out: DetectorOutputs; scoreKind: string } {
  let out: DetectorOutputs;
  let scoreKind: string;
  if (spec?.kind === 'dense') {
    const dense = spec as DenseExportSpec;
    out = isSemiDenseSpec(dense) ? addSemiDense(b, dense, h, d) : addDense(b, dense, h, d);
    scoreKind = dense.scoreKind;
  } else if (spec?.kind === 'trees') {
    out = addTrees(b, spec, h, d);
    scoreKind = String((spec as { aggregate?: unknown }).aggregate);
  } else if (spec?.kind === 'pairMean' || spec?.kind === 'featureResidual') {
    out = spec.kind === 'pairMean' ? addPairMean(b, spec, h, d) : addFeatureResidual(b, spec, h, d);
    scoreKind = spec.kind;
  } else if (isClassicalSpec(spec)) {
    ({ out, scoreKind } = addClassical(b, spec, h, d, (member, input, width) => addDetector(b, member, input, width).out));
  } else {
    throw new UnsupportedExportError(
      `detector export spec of kind ${describeKind(spec)} has no ONNX converter (supported: dense, trees, pairMean, featureResidual, ${CLASSICAL_KINDS.join(', ')})`,
    );
  }
  return { out, scoreKind };
}

function asPipeline(model: Detector): PipelineLike | null {
  const m = model as unknown as Partial<PipelineLike>;
  if (Array.isArray(m.transformers) && m.detector && typeof m.detector === 'object') return m as PipelineLike;
  return null;
}

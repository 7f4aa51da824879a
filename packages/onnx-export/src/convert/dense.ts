import { UnsupportedExportError, type DenseExportSpec } from '@abc/core';
import { attr, type GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';

// LeakyRelu's ONNX default alpha is 0.01, the engine's default slope (the export spec carries no other slope).
const ACTIVATION_OPS = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: null, leakyRelu: 'LeakyRelu' } as const;
const FLT_MAX = 3.4028234663852886e38;

/** What a detector converter leaves in the graph: the [N] score and, for autoencoders, the [N] error L. */
export interface DetectorOutputs {
  score: string;
  reconstructionError?: string;
  /** True when the score is a probability (ABC's 1 − exp(−L), a sigmoid). */
  probability: boolean;
  /**
   * An estimate, generous, of the peak working memory per scored row in bytes: the intermediate tensors whose size
   * grows with what the model stores (distances to every reference row, kernel values per support vector, a pair
   * network over the stored references). Written to the metadata as `abc.work_bytes_per_row`, from which
   * `OnnxDetector` bounds its batch. Absent for graphs whose per-row intermediates are small (a few times the
   * widest layer: dense stacks, trees, feature steps).
   */
  workBytesPerRow?: number;
}

/**
 * A dense stack `y = act(x W + b)` (MatMul with W as [in, out], Add, activation) and its score:
 * - `'abc'`: L = distance(x, r), score = 1 − exp(−L);
 * - `'reconstruction'`: score = L;
 * - `'sigmoid'`: one output unit, score = sigmoid(logit).
 * Distances: `meanSquared` = ReduceMean((r − x)²), `squaredL2` = ReduceSumSquare(r − x), `l2` = its Sqrt, over
 * axis 1 with `keepdims = 0` (axes are an attribute in opset 17). As the TypeScript models do, L is capped at
 * the largest float32 (a diverged network gives FLT_MAX, not Infinity).
 */
export function addDense(b: GraphBuilder, spec: DenseExportSpec, input: string, d: number): DetectorOutputs {
  const layers = spec.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new UnsupportedExportError('dense export spec has no layers');
  let width = d;
  let h = input;
  layers.forEach((layer, l) => {
    const inSize = checkInt(layer.inputSize, `dense layer ${l} inputSize`, 1);
    const outSize = checkInt(layer.outputSize, `dense layer ${l} outputSize`, 1);
    if (inSize !== width) {
      throw new UnsupportedExportError(
        `dense layer ${l} takes ${inSize} inputs but receives ${width} (${l === 0 ? 'the feature count' : `layer ${l - 1}'s outputs`})`,
      );
    }
    if (!(layer.W instanceof Float32Array) || layer.W.length !== inSize * outSize) {
      throw new UnsupportedExportError(
        `dense layer ${l} W must be a Float32Array of ${inSize} x ${outSize} values, got ${typeName(layer.W)} of ${layer.W?.length}`,
      );
    }
    if (!(layer.b instanceof Float32Array) || layer.b.length !== outSize) {
      throw new UnsupportedExportError(`dense layer ${l} b must be a Float32Array of ${outSize} values`);
    }
    checkFinite(layer.W, `dense layer ${l} W`);
    checkFinite(layer.b, `dense layer ${l} b`);
    if (!Object.hasOwn(ACTIVATION_OPS, layer.activation)) {
      throw new UnsupportedExportError(
        `dense layer ${l} activation "${String(layer.activation)}" is not one of tanh, sigmoid, relu, linear`,
      );
    }
    const mm = b.op('MatMul', [h, b.floatConstant(`dense${l}_W`, layer.W, [inSize, outSize])], {}, `dense${l}_matmul`);
    h = b.op('Add', [mm, b.floatConstant(`dense${l}_b`, layer.b, [outSize])], {}, `dense${l}_pre`);
    const act = ACTIVATION_OPS[layer.activation];
    if (act) h = b.op(act, [h], {}, `dense${l}_${layer.activation}`);
    width = outSize;
  });

  if (spec.scoreKind === 'sigmoid') {
    if (width !== 1) throw new UnsupportedExportError(`a 'sigmoid' dense spec must end in 1 output unit, not ${width}`);
    const logit = b.op('Squeeze', [h, b.int64Constant('axis1', [1])], {}, 'logit');
    return { score: b.op('Sigmoid', [logit], {}, 'probability'), probability: true };
  }
  if (spec.scoreKind !== 'abc' && spec.scoreKind !== 'reconstruction') {
    throw new UnsupportedExportError(
      `dense export spec scoreKind "${String(spec.scoreKind)}" is not one of abc, reconstruction, sigmoid`,
    );
  }
  if (width !== d)
    throw new UnsupportedExportError(
      `a '${spec.scoreKind}' dense spec must reconstruct its ${d} inputs, but ends in ${width} units`,
    );
  const distance = spec.distance ?? 'meanSquared';
  const diff = b.op('Sub', [h, input], {}, 'residual');
  const axes = { axes: attr.ints([1]), keepdims: attr.int(0) };
  let L: string;
  if (distance === 'meanSquared') {
    L = b.op('ReduceMean', [b.op('Mul', [diff, diff], {}, 'residual_sq')], axes, 'mean_squared');
  } else if (distance === 'squaredL2') {
    L = b.op('ReduceSumSquare', [diff], axes, 'squared_l2');
  } else if (distance === 'l2') {
    L = b.op('Sqrt', [b.op('ReduceSumSquare', [diff], axes, 'squared_l2')], {}, 'l2');
  } else {
    throw new UnsupportedExportError(`dense export spec distance "${String(distance)}" is not one of meanSquared, l2, squaredL2`);
  }
  L = b.op('Min', [L, b.floatScalar('flt_max', FLT_MAX)], {}, 'error');
  if (spec.scoreKind === 'reconstruction') return { score: L, reconstructionError: L, probability: false };
  // p(anomaly | x) = 1 − exp(−L)
  const e = b.op('Exp', [b.op('Neg', [L], {}, 'neg_error')], {}, 'exp_neg_error');
  const p = b.op('Sub', [b.floatScalar('one', 1), e], {}, 'probability');
  return { score: p, reconstructionError: L, probability: true };
}

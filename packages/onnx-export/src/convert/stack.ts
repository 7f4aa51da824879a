import { UnsupportedExportError, type DenseLayerSpec } from '@abc/core';
import type { GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';

// LeakyRelu's ONNX default alpha is 0.01, the engine's default slope (a layer spec carries no other slope).
const ACTIVATION_OPS = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: null, leakyRelu: 'LeakyRelu' } as const;

/** One checked dense layer whose weights are graph initializers. */
export interface StackLayer {
  /** Initializer names of W ([inputSize, outputSize]) and b ([outputSize]). */
  W: string;
  b: string;
  inputSize: number;
  outputSize: number;
  activation: DenseLayerSpec['activation'];
}

/** Options of {@link checkStack}. */
export interface CheckStackOptions {
  /** An empty stack is the identity (default false: an error). */
  allowEmpty?: boolean;
  /** Inputs appended to every hidden layer's output before the next layer (FeaWAD's e), default 0. */
  extraAfterHidden?: number;
}

/**
 * Checks a stack of dense layers: sizes chain from `inputWidth` (plus `extraAfterHidden`), W and b are
 * Float32Arrays of the right lengths with finite values, the activation is known. A malformed stack raises
 * `UnsupportedExportError` naming `what` and the layer. Returns the layers.
 */
export function checkStack(
  layers: readonly DenseLayerSpec[],
  inputWidth: number,
  what: string,
  options: CheckStackOptions = {},
): readonly DenseLayerSpec[] {
  if (!Array.isArray(layers))
    throw new UnsupportedExportError(`${what} must be an array of dense layers, got ${typeName(layers)}`);
  if (layers.length === 0 && !options.allowEmpty) throw new UnsupportedExportError(`${what} has no layers`);
  let width = inputWidth;
  layers.forEach((layer, l) => {
    const name = `${what} layer ${l}`;
    const inSize = checkInt(layer?.inputSize, `${name} inputSize`, 1);
    const outSize = checkInt(layer.outputSize, `${name} outputSize`, 1);
    if (inSize !== width) throw new UnsupportedExportError(`${name} takes ${inSize} inputs but receives ${width}`);
    if (!(layer.W instanceof Float32Array) || layer.W.length !== inSize * outSize) {
      throw new UnsupportedExportError(
        `${name} W must be a Float32Array of ${inSize} x ${outSize} values, got ${typeName(layer.W)} of ${layer.W?.length}`,
      );
    }
    if (!(layer.b instanceof Float32Array) || layer.b.length !== outSize) {
      throw new UnsupportedExportError(`${name} b must be a Float32Array of ${outSize} values`);
    }
    checkFinite(layer.W, `${name} W`);
    checkFinite(layer.b, `${name} b`);
    if (!Object.hasOwn(ACTIVATION_OPS, layer.activation)) {
      throw new UnsupportedExportError(
        `${name} activation "${String(layer.activation)}" is not one of tanh, sigmoid, relu, leakyRelu, linear`,
      );
    }
    width = outSize + (l < layers.length - 1 ? (options.extraAfterHidden ?? 0) : 0);
  });
  return layers;
}

/** Adds checked layers' weights as initializers named `${prefix}${l}_W` / `_b`. */
export function stackConstants(b: GraphBuilder, layers: readonly DenseLayerSpec[], prefix: string): StackLayer[] {
  return layers.map((layer, l) => ({
    W: b.floatConstant(`${prefix}${l}_W`, layer.W, [layer.inputSize, layer.outputSize]),
    b: b.floatConstant(`${prefix}${l}_b`, layer.b, [layer.outputSize]),
    inputSize: layer.inputSize,
    outputSize: layer.outputSize,
    activation: layer.activation,
  }));
}

/** {@link checkStack} then {@link stackConstants}. */
export function addStack(
  b: GraphBuilder,
  layers: readonly DenseLayerSpec[],
  inputWidth: number,
  prefix: string,
  what: string,
  options: CheckStackOptions = {},
): StackLayer[] {
  return stackConstants(b, checkStack(layers, inputWidth, what, options), prefix);
}

/** The output width of a checked stack (its input width when empty). */
export function stackWidth(stack: readonly { outputSize: number }[], inputWidth: number): number {
  return stack.length === 0 ? inputWidth : stack[stack.length - 1].outputSize;
}

/** The activation of one layer applied to `pre` (nothing for `linear`). */
export function activate(b: GraphBuilder, activation: DenseLayerSpec['activation'], pre: string, prefix: string): string {
  const op = ACTIVATION_OPS[activation];
  return op ? b.op(op, [pre], {}, `${prefix}_${activation}`) : pre;
}

/** One layer `act(h W + b)` on a [..., inputSize] value (MatMul broadcasts over leading axes). */
export function applyLayer(b: GraphBuilder, layer: StackLayer, h: string, prefix: string): string {
  const mm = b.op('MatMul', [h, layer.W], {}, `${prefix}_matmul`);
  return activate(b, layer.activation, b.op('Add', [mm, layer.b], {}, `${prefix}_pre`), prefix);
}

/** The whole stack applied to `input`; value names start with `prefix`. */
export function applyStack(b: GraphBuilder, stack: readonly StackLayer[], input: string, prefix: string): string {
  let h = input;
  stack.forEach((layer, l) => {
    h = applyLayer(b, layer, h, `${prefix}${l}`);
  });
  return h;
}

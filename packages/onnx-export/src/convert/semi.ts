/**
 * Converters of the semi-supervised detectors' export specs (core's `export-spec.ts`): a dense network scored by
 * its one linear output (`scoreKind: 'linear'`: DevNet, RoSAS) or by the squared distance of its output to a
 * centre (`'centreDistance'`: Deep SAD), a pair network against stored references (`pairMean`: PReNet) and an
 * autoencoder with a head on its features and residual (`featureResidual`: FeaWAD). None of these scores is a
 * probability and none writes `reconstruction_error`.
 */
import {
  UnsupportedExportError,
  type DenseExportSpec,
  type FeatureResidualExportSpec,
  type FeatureResidualInput,
  type PairMeanExportSpec,
} from '@abc/core';
import { attr, type GraphBuilder } from '../graph.js';
import { checkInt, checkVector, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';
import { activate, addStack, applyLayer, applyStack, checkStack, stackConstants, stackWidth } from './stack.js';

/** The dense score kinds this file converts. */
export const SEMI_DENSE_SCORE_KINDS = ['linear', 'centreDistance'] as const;

/** Whether a dense spec's score kind is one of {@link SEMI_DENSE_SCORE_KINDS}. */
export function isSemiDenseSpec(spec: DenseExportSpec): boolean {
  return (SEMI_DENSE_SCORE_KINDS as readonly string[]).includes(spec.scoreKind);
}

/** [N, 1] to [N]. */
function squeezeColumn(b: GraphBuilder, v: string, name: string): string {
  return b.op('Squeeze', [v, b.int64Constant('axis1', [1])], {}, name);
}

/**
 * A dense stack and its score: `'linear'`: one output unit, score = that output; `'centreDistance'`:
 * score = ReduceSumSquare(φ(x) − centre) over axis 1.
 */
export function addSemiDense(b: GraphBuilder, spec: DenseExportSpec, input: string, d: number): DetectorOutputs {
  const stack = addStack(b, spec.layers, d, 'dense', 'dense spec');
  const out = applyStack(b, stack, input, 'dense');
  const width = stackWidth(stack, d);
  if (spec.scoreKind === 'linear') {
    if (width !== 1) throw new UnsupportedExportError(`a 'linear' dense spec must end in 1 output unit, not ${width}`);
    return { score: squeezeColumn(b, out, 'network_output'), probability: false };
  }
  if (spec.scoreKind !== 'centreDistance') {
    throw new UnsupportedExportError(
      `dense export spec scoreKind "${String(spec.scoreKind)}" is not one of linear, centreDistance`,
    );
  }
  const centre = checkVector(spec.centre, width, "a 'centreDistance' dense spec's centre");
  const diff = b.op('Sub', [out, b.floatConstant('centre', centre, [width])], {}, 'to_centre');
  const score = b.op('ReduceSumSquare', [diff], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'centre_distance');
  return { score, probability: false };
}

/**
 * PReNet's pair score, mean_e g(p_e) with p_e = [φ(x), φ(r_e)] (xFirst[e] = 1, the default) or [φ(r_e), φ(x)]
 * (xFirst[e] = 0). g's first layer is split into its top rows (reading the pair's first half) and bottom rows
 * (its second half), so the graph computes φ(x) W once per row and φ(r_e) W + b once per reference and adds them
 * as [N, 1, H] + [E_g, H] = [N, E_g, H] for each group of references of one order, the groups concatenated on
 * axis 1; the rest of g runs on [N, E, ·] (MatMul broadcasts) and the [N, E, 1] result is averaged over E.
 */
export function addPairMean(b: GraphBuilder, spec: PairMeanExportSpec, input: string, d: number): DetectorOutputs {
  const E = checkInt(spec.nReferences, 'pairMean spec nReferences', 1);
  const references = checkVector(spec.references, E * d, `pairMean spec references (${E} rows of ${d})`);
  const xFirst = spec.xFirst ?? new Uint8Array(E).fill(1);
  if (!(xFirst instanceof Uint8Array) || xFirst.length !== E || xFirst.some((v) => v > 1)) {
    throw new UnsupportedExportError(
      `pairMean spec xFirst must be a Uint8Array of ${E} values 0 or 1, got ${typeName(xFirst)} of ${(xFirst as { length?: number })?.length}`,
    );
  }
  const encoder = addStack(b, spec.encoder ?? [], d, 'encoder', 'pairMean spec encoder', { allowEmpty: true });
  const rep = stackWidth(encoder, d);
  const [first, ...rest] = checkStack(spec.head, 2 * rep, 'pairMean spec head (on the pair [φ(x), φ(r)])');
  if (stackWidth(spec.head, 0) !== 1)
    throw new UnsupportedExportError(`pairMean spec head must end in 1 output unit, not ${stackWidth(spec.head, 0)}`);
  const headRest = stackConstants(b, rest, 'head_rest');
  const H = first.outputSize;
  const phiX = applyStack(b, encoder, input, 'encoder_x');
  const bias = b.floatConstant('head0_b', first.b, [H]);
  const top = first.W.subarray(0, rep * H);
  const bottom = first.W.subarray(rep * H);
  // x first: x reads the top rows, the reference the bottom ones; x second: the other way round.
  const groups = [
    { order: 1, suffix: '', xW: top, refW: bottom },
    { order: 0, suffix: '_x_second', xW: bottom, refW: top },
  ];
  const parts: string[] = [];
  for (const { order, suffix, xW, refW } of groups) {
    const rows: number[] = [];
    xFirst.forEach((v, e) => {
      if (v === order) rows.push(e);
    });
    if (rows.length === 0) continue;
    const refs = new Float32Array(rows.length * d);
    rows.forEach((e, k) => {
      refs.set(references.subarray(e * d, (e + 1) * d), k * d);
    });
    const Wx = b.floatConstant(`head0_W_x${suffix}`, xW, [rep, H]);
    const Wr = b.floatConstant(`head0_W_r${suffix}`, refW, [rep, H]);
    const phiR = applyStack(b, encoder, b.floatConstant(`references${suffix}`, refs, [rows.length, d]), `encoder_ref${suffix}`);
    const xPart = b.op(
      'Unsqueeze',
      [b.op('MatMul', [phiX, Wx], {}, `pair_x${suffix}`), b.int64Constant('axis1', [1])],
      {},
      `pair_x_3d${suffix}`,
    );
    const refPart = b.op('Add', [b.op('MatMul', [phiR, Wr], {}, `pair_ref${suffix}`), bias], {}, `pair_ref_bias${suffix}`);
    parts.push(b.op('Add', [xPart, refPart], {}, `head0_pre${suffix}`));
  }
  const pre = parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis: attr.int(1) }, 'head0_pre_all');
  let h = activate(b, first.activation, pre, 'head0');
  headRest.forEach((layer, l) => {
    h = applyLayer(b, layer, h, `head${l + 1}`);
  });
  // [N, E, 1] -> mean over E -> [N, 1] -> [N]
  const mean = b.op('ReduceMean', [h], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'pair_mean');
  return {
    score: squeezeColumn(b, mean, 'pair_score'),
    probability: false,
    workBytesPerRow: pairMeanWorkBytesPerRow(
      E,
      encoder.map((L) => L.outputSize),
      [H, ...rest.map((L) => L.outputSize)],
    ),
  };
}

/**
 * The working bytes per scored row of {@link addPairMean}'s graph with E stored references, an encoder of the given
 * layer widths and a head of the given widths (H = head[0], the last 1): the sum of every per-row intermediate it
 * creates (an upper bound on those alive at once), all float32 (4 bytes):
 * - 3 · E · H: the first head layer's pre-activations per group of references, their Concat and the activation
 *   ([N, E, H] each);
 * - 3 · E · w for every further head layer of width w: its MatMul, Add and activation ([N, E, w] each);
 * - 3 · w for every encoder layer (φ(x): MatMul, Add, activation), 4 · H + 2 (x's part of the first layer, per
 *   group and unsqueezed; the mean and the score).
 * So 4 · (3 · E · (H + Σ w_rest) + 3 · Σ w_encoder + 4 · H + 2); e.g. 1,000 references and a head 32, 1: 396,520.
 */
export function pairMeanWorkBytesPerRow(E: number, encoder: readonly number[], head: readonly number[]): number {
  const sum = (v: readonly number[]) => v.reduce((a, w) => a + w, 0);
  const H = head[0] ?? 0;
  return 4 * (3 * E * sum(head) + 3 * sum(encoder) + 4 * H + 2);
}

const FEATURE_RESIDUAL_INPUTS: readonly FeatureResidualInput[] = ['features', 'residual', 'normalizedResidual', 'residualNorm'];

/**
 * FeaWAD's score: h = encoder(x), x̂ = decoder(h), r = x − x̂, e = ||r||₂ (Sqrt of ReduceSumSquare, kept [N, 1]),
 * r̂ = r / max(e + normEps, normFloor); the head reads the Concat of the `headInput` blocks and, with
 * `residualNormToEveryLayer`, e appended after each hidden head layer.
 */
export function addFeatureResidual(b: GraphBuilder, spec: FeatureResidualExportSpec, input: string, d: number): DetectorOutputs {
  const encoder = addStack(b, spec.encoder, d, 'encoder', 'featureResidual spec encoder');
  const hWidth = stackWidth(encoder, d);
  const decoder = addStack(b, spec.decoder, hWidth, 'decoder', 'featureResidual spec decoder');
  if (stackWidth(decoder, hWidth) !== d) {
    throw new UnsupportedExportError(
      `featureResidual spec decoder must reconstruct the ${d} inputs, but ends in ${stackWidth(decoder, hWidth)} units`,
    );
  }
  const blocks = spec.headInput;
  if (!Array.isArray(blocks) || blocks.length === 0) {
    throw new UnsupportedExportError(`featureResidual spec headInput must be a non-empty array, got ${typeName(blocks)}`);
  }
  for (const block of blocks) {
    if (!FEATURE_RESIDUAL_INPUTS.includes(block)) {
      throw new UnsupportedExportError(
        `featureResidual spec headInput block "${String(block)}" is not one of ${FEATURE_RESIDUAL_INPUTS.join(', ')}`,
      );
    }
  }
  const normEps = spec.normEps ?? 0;
  if (typeof normEps !== 'number' || !(normEps >= 0) || !Number.isFinite(normEps)) {
    throw new UnsupportedExportError(`featureResidual spec normEps must be a finite number >= 0, got ${String(normEps)}`);
  }
  const normFloor = spec.normFloor ?? 0;
  if (typeof normFloor !== 'number' || !(normFloor >= 0) || !Number.isFinite(normFloor)) {
    throw new UnsupportedExportError(`featureResidual spec normFloor must be a finite number >= 0, got ${String(normFloor)}`);
  }
  const everyLayer = spec.residualNormToEveryLayer ?? false;
  if (typeof everyLayer !== 'boolean') {
    throw new UnsupportedExportError(
      `featureResidual spec residualNormToEveryLayer must be a boolean, got ${typeName(everyLayer)}`,
    );
  }
  const widths: Record<FeatureResidualInput, number> = { features: hWidth, residual: d, normalizedResidual: d, residualNorm: 1 };
  const inWidth = blocks.reduce((s, k) => s + widths[k], 0);
  // With e appended after each hidden layer, layer l + 1 takes layer l's outputs + 1.
  const headStack = addStack(b, spec.head, inWidth, 'head', 'featureResidual spec head', {
    extraAfterHidden: everyLayer ? 1 : 0,
  });
  if (stackWidth(headStack, 0) !== 1)
    throw new UnsupportedExportError(`featureResidual spec head must end in 1 output unit, not ${stackWidth(headStack, 0)}`);

  const h = applyStack(b, encoder, input, 'encoder');
  const xHat = applyStack(b, decoder, h, 'decoder');
  const r = b.op('Sub', [input, xHat], {}, 'residual');
  const e = b.op(
    'Sqrt',
    [b.op('ReduceSumSquare', [r], { axes: attr.ints([1]), keepdims: attr.int(1) }, 'residual_sq')],
    {},
    'residual_norm',
  );
  let denom = normEps === 0 ? e : b.op('Add', [e, b.floatScalar('norm_eps', normEps)], {}, 'residual_norm_eps');
  if (normFloor > 0) denom = b.op('Max', [denom, b.floatScalar('norm_floor', normFloor)], {}, 'residual_norm_floor');
  let rHat: string | undefined;
  const blockValue = (block: FeatureResidualInput): string => {
    if (block === 'features') return h;
    if (block === 'residual') return r;
    if (block === 'residualNorm') return e;
    rHat ??= b.op('Div', [r, denom], {}, 'normalized_residual');
    return rHat;
  };
  let z = b.op('Concat', blocks.map(blockValue), { axis: attr.int(1) }, 'head_input');
  headStack.forEach((layer, l) => {
    z = applyLayer(b, layer, z, `head${l}`);
    if (everyLayer && l < headStack.length - 1) z = b.op('Concat', [z, e], { axis: attr.int(1) }, `head${l}_with_norm`);
  });
  return { score: squeezeColumn(b, z, 'head_output'), probability: false };
}

import { UnsupportedExportError, type TreeEnsembleExportSpec, type TreesExportSpec } from '@abc/core';
import { attr, type GraphBuilder } from '../graph.js';
import { ONNX_TARGET } from '../target.js';
import { checkFinite, checkInt, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';

/** The tree-ensemble export spec (defined once, in `@abc/core`: see `TreeEnsembleExportSpec` there). */
export type TreeEnsembleSpec = TreeEnsembleExportSpec;

const AGGREGATES = ['isolation', 'sum-sigmoid', 'weighted-vote'];

/**
 * One `ai.onnx.ml.TreeEnsembleRegressor` (mode `BRANCH_LEQ`, aggregate `SUM`, leaf weight
 * treeWeights[t] · value, base value baseScore) gives raw [N, 1]; a few standard ops give the score [N].
 */
export function addTrees(b: GraphBuilder, raw: TreesExportSpec, input: string, d: number): DetectorOutputs {
  const spec = checkTreeSpec(raw, d);
  const { feature, threshold, left, right, value } = spec.nodes;
  const offsets = spec.treeOffsets;
  const nodeTree: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const values: number[] = [];
  const modes: string[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetWeight: number[] = [];
  for (let t = 0; t < spec.nTrees; t++) {
    for (let k = offsets[t]; k < offsets[t + 1]; k++) {
      const local = k - offsets[t];
      nodeTree.push(t);
      nodeIds.push(local);
      if (feature[k] >= 0) {
        featureIds.push(feature[k]);
        values.push(threshold[k]);
        modes.push('BRANCH_LEQ');
        trueIds.push(left[k]);
        falseIds.push(right[k]);
      } else {
        featureIds.push(0);
        values.push(0);
        modes.push('LEAF');
        trueIds.push(0);
        falseIds.push(0);
        targetTree.push(t);
        targetNode.push(local);
        targetWeight.push(Math.fround(spec.treeWeights[t]) * value[k]);
      }
    }
  }
  const [rawScore] = b.node(
    'TreeEnsembleRegressor',
    [input],
    ['tree_raw'],
    {
      aggregate_function: attr.string('SUM'),
      base_values: attr.floats([spec.baseScore]),
      n_targets: attr.int(1),
      nodes_treeids: attr.ints(nodeTree),
      nodes_nodeids: attr.ints(nodeIds),
      nodes_featureids: attr.ints(featureIds),
      nodes_values: attr.floats(values),
      nodes_modes: attr.strings(modes),
      nodes_truenodeids: attr.ints(trueIds),
      nodes_falsenodeids: attr.ints(falseIds),
      post_transform: attr.string('NONE'),
      target_ids: attr.ints(new Array(targetTree.length).fill(0)),
      target_treeids: attr.ints(targetTree),
      target_nodeids: attr.ints(targetNode),
      target_weights: attr.floats(targetWeight),
    },
    { domain: ONNX_TARGET.mlDomain },
  );
  const rawN = b.op('Squeeze', [rawScore, b.int64Constant('axis1', [1])], {}, 'tree_sum');
  switch (spec.aggregate) {
    case 'isolation': {
      const c = spec.normalizer!;
      if (!(c > 0)) {
        // ψ = 1: every path has length 0 and the TypeScript model scores 0.5.
        const zero = b.op('Mul', [rawN, b.floatScalar('zero', 0)], {}, 'zeros');
        return { score: b.op('Add', [zero, b.floatScalar('half', 0.5)], {}, 'isolation_score'), probability: false };
      }
      // 2^(−raw / c) = exp(raw · (−ln 2 / c))
      const scaled = b.op('Mul', [rawN, b.floatScalar('neg_ln2_over_c', -Math.LN2 / c)], {}, 'scaled_depth');
      return { score: b.op('Exp', [scaled], {}, 'isolation_score'), probability: false };
    }
    case 'sum-sigmoid':
      return { score: b.op('Sigmoid', [rawN], {}, 'probability'), probability: true };
    case 'weighted-vote':
      // raw is a weighted share of votes in [0, 1]; Clip removes float rounding past the ends, as the TS model does.
      return {
        score: b.op('Clip', [rawN, b.floatScalar('zero', 0), b.floatScalar('one', 1)], {}, 'vote_share'),
        probability: false,
      };
  }
}

function checkTreeSpec(raw: TreesExportSpec, d: number): TreeEnsembleSpec {
  const s = raw as Partial<TreeEnsembleSpec>;
  if (!AGGREGATES.includes(s.aggregate as string)) {
    throw new UnsupportedExportError(
      `tree export spec aggregate "${String(s.aggregate)}" is not one of ${AGGREGATES.join(', ')}`,
    );
  }
  const nFeatures = checkInt(s.nFeatures, 'tree export spec nFeatures', 1);
  if (nFeatures !== d)
    throw new UnsupportedExportError(`tree export spec has ${nFeatures} features but the model input has ${d}`);
  const nTrees = checkInt(s.nTrees, 'tree export spec nTrees', 1);
  const nodes = s.nodes;
  if (!nodes) throw new UnsupportedExportError('tree export spec has no nodes');
  const typed: [string, unknown, abstract new (...args: never[]) => unknown][] = [
    ['feature', nodes.feature, Int32Array],
    ['threshold', nodes.threshold, Float32Array],
    ['left', nodes.left, Int32Array],
    ['right', nodes.right, Int32Array],
    ['value', nodes.value, Float32Array],
    ['treeOffsets', s.treeOffsets, Int32Array],
    ['treeWeights', s.treeWeights, Float32Array],
  ];
  for (const [name, v, T] of typed) {
    if (!(v instanceof T)) throw new UnsupportedExportError(`tree export spec ${name} must be a ${T.name}, got ${typeName(v)}`);
  }
  const n = nodes.feature.length;
  for (const [name, v] of typed.slice(1, 5)) {
    if ((v as ArrayLike<number>).length !== n)
      throw new UnsupportedExportError(
        `tree export spec nodes.${name} has ${(v as ArrayLike<number>).length} values, nodes.feature ${n}`,
      );
  }
  const off = s.treeOffsets!;
  if (off.length !== nTrees + 1 || off[0] !== 0 || off[nTrees] !== n) {
    throw new UnsupportedExportError(`tree export spec treeOffsets must hold nTrees + 1 = ${nTrees + 1} offsets from 0 to ${n}`);
  }
  if (s.treeWeights!.length !== nTrees)
    throw new UnsupportedExportError(`tree export spec treeWeights has ${s.treeWeights!.length} values for ${nTrees} trees`);
  checkFinite(nodes.threshold, 'tree export spec nodes.threshold');
  checkFinite(nodes.value, 'tree export spec nodes.value');
  checkFinite(s.treeWeights!, 'tree export spec treeWeights');
  if (typeof s.baseScore !== 'number' || !Number.isFinite(s.baseScore))
    throw new UnsupportedExportError(`tree export spec baseScore is ${String(s.baseScore)}`);
  if (s.aggregate === 'isolation' && (typeof s.normalizer !== 'number' || !(s.normalizer >= 0))) {
    throw new UnsupportedExportError(`an 'isolation' tree export spec needs a normalizer >= 0, got ${String(s.normalizer)}`);
  }
  for (let t = 0; t < nTrees; t++) {
    const size = off[t + 1] - off[t];
    if (size < 1) throw new UnsupportedExportError(`tree export spec: tree ${t} has no node`);
    for (let k = off[t]; k < off[t + 1]; k++) {
      const f = nodes.feature[k];
      if (f < 0) continue;
      if (f >= nFeatures)
        throw new UnsupportedExportError(`tree export spec: tree ${t} node ${k - off[t]} splits on feature ${f} of ${nFeatures}`);
      const l = nodes.left[k];
      const r = nodes.right[k];
      if (!(l >= 0 && l < size && r >= 0 && r < size)) {
        throw new UnsupportedExportError(
          `tree export spec: tree ${t} node ${k - off[t]} has children ${l}, ${r} outside 0..${size - 1}`,
        );
      }
    }
  }
  return s as TreeEnsembleSpec;
}

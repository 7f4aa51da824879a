import { UnsupportedExportError, type AugmentedExportSpec, type DetectorExportSpec } from '@abc/core';
import { attr, ElemType, type GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';

/** Adds any detector spec's graph on an input of the given width (the exporter's dispatch by kind). */
export type AddDetector = (spec: DetectorExportSpec, input: string, width: number) => DetectorOutputs;

/**
 * An `augmented` spec (XGBOD): each member's graph on the input (or on its float64 standardization, cast to
 * float32 once, for the members marked `scaled`) gives its float32 score [N]; the scores are
 * stacked [N, M], standardized in float64 ((s − mean) / std, then cast to float32, as the spec says) and
 * concatenated after the input [N, d + M], which the head's graph scores. The head's outputs are the model's
 * (its `score` and whether it is a probability).
 */
export function addAugmented(
  b: GraphBuilder,
  raw: AugmentedExportSpec,
  input: string,
  d: number,
  addDetector: AddDetector,
): DetectorOutputs {
  const spec = checkAugmented(raw, d);
  const M = spec.members.length;
  const axis1 = b.int64Constant('axis1', [1]);
  let scaledInput: string | null = null;
  if (spec.scaler) {
    const x = b.op('Cast', [input], { to: attr.int(ElemType.double) }, 'member_x_f64');
    const centred = b.op('Sub', [x, b.doubleConstant('member_center', spec.scaler.center, [d])], {}, 'member_x_centred');
    const scaled = b.op('Div', [centred, b.doubleConstant('member_scale', spec.scaler.scale, [d])], {}, 'member_x_scaled_f64');
    scaledInput = b.op('Cast', [scaled], { to: attr.int(ElemType.float) }, 'member_x_scaled');
  }
  const memberWork: (number | undefined)[] = [];
  const columns = spec.members.map((member, m) => {
    const { score, workBytesPerRow } = addDetector(member, scaledInput && spec.scaled?.[m] === 1 ? scaledInput : input, d);
    memberWork.push(workBytesPerRow);
    return b.op('Unsqueeze', [score, axis1], {}, `member${m}_score`);
  });
  const scores = M === 1 ? columns[0] : b.op('Concat', columns, { axis: attr.int(1) }, 'member_scores');
  const wide = b.op('Cast', [scores], { to: attr.int(ElemType.double) }, 'member_scores_f64');
  const centred = b.op('Sub', [wide, b.doubleConstant('member_mean', spec.mean, [M])], {}, 'member_scores_centred');
  const z = b.op('Div', [centred, b.doubleConstant('member_std', spec.std, [M])], {}, 'member_scores_standard');
  const zf = b.op('Cast', [z], { to: attr.int(ElemType.float) }, 'member_features');
  const augmented = b.op('Concat', [input, zf], { axis: attr.int(1) }, 'augmented');
  const head = addDetector(spec.head, augmented, d + M);
  return {
    score: head.score,
    probability: head.probability,
    workBytesPerRow: augmentedWorkBytesPerRow(memberWork, head.workBytesPerRow, d),
  };
}

/**
 * The working bytes per scored row of {@link addAugmented}'s graph: the sum of its members' estimates and its
 * head's (a safe bound: a plain run frees a member's intermediates once its score is out, but the sum holds even if
 * every member's were alive at once), plus its own per-row tensors: 32 · d (x in float64, centred, scaled, cast
 * back; the augmented row's d inputs) and 40 · M (each member's score unsqueezed, concatenated, in float64,
 * centred, standardized, cast back, in the augmented row). Undefined when neither a member nor the head has an
 * estimate (their per-row intermediates are all small, as the augmentation's own).
 */
export function augmentedWorkBytesPerRow(
  members: readonly (number | undefined)[],
  head: number | undefined,
  d: number,
): number | undefined {
  if (head === undefined && members.every((w) => w === undefined)) return undefined;
  const parts = members.reduce<number>((s, w) => s + (w ?? 0), head ?? 0);
  return parts + 32 * d + 40 * members.length;
}

function checkAugmented(raw: AugmentedExportSpec, d: number): AugmentedExportSpec {
  const s = raw as Partial<AugmentedExportSpec>;
  const nFeatures = checkInt(s.nFeatures, 'augmented export spec nFeatures', 1);
  if (nFeatures !== d)
    throw new UnsupportedExportError(`augmented export spec has ${nFeatures} features but the model input has ${d}`);
  if (!Array.isArray(s.members) || s.members.length === 0)
    throw new UnsupportedExportError(`augmented export spec members must be a non-empty array, got ${typeName(s.members)}`);
  const M = s.members.length;
  for (const name of ['mean', 'std'] as const) {
    const v = s[name];
    if (!(v instanceof Float64Array) || v.length !== M) {
      throw new UnsupportedExportError(
        `augmented export spec ${name} must be a Float64Array of ${M} values (one per member), got ${typeName(v)} of ${(v as { length?: number } | undefined)?.length}`,
      );
    }
    checkFinite(v, `augmented export spec ${name}`);
  }
  s.std!.forEach((v, m) => {
    if (!(v > 0))
      throw new UnsupportedExportError(`augmented export spec std[${m}] is ${v}; it must be > 0 (use 1 for a constant member)`);
  });
  if (s.head === null || typeof s.head !== 'object') throw new UnsupportedExportError('augmented export spec has no head');
  if (s.scaler !== undefined) {
    for (const name of ['center', 'scale'] as const) {
      const v = s.scaler?.[name];
      if (!(v instanceof Float64Array) || v.length !== d)
        throw new UnsupportedExportError(`augmented export spec scaler.${name} must be a Float64Array of ${d} values`);
      checkFinite(v, `augmented export spec scaler.${name}`);
    }
    s.scaler.scale.forEach((v, j) => {
      if (v === 0) throw new UnsupportedExportError(`augmented export spec scaler.scale[${j}] is 0; it would divide by zero`);
    });
  }
  if (s.scaled !== undefined) {
    if (!(s.scaled instanceof Uint8Array) || s.scaled.length !== M)
      throw new UnsupportedExportError(`augmented export spec scaled must be a Uint8Array of ${M} values (one per member)`);
    if (s.scaler === undefined && s.scaled.some((v) => v !== 0))
      throw new UnsupportedExportError('augmented export spec marks members scaled but has no scaler');
  }
  return s as AugmentedExportSpec;
}

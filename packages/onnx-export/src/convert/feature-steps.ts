import { UnsupportedExportError, type FeatureStepsExportSpec } from '@abc/core';
import { attr, ElemType, type GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';

/**
 * The largest table a `feature-steps` spec may need: nFeatures × the largest cut count of a feature, 2^22 =
 * 4,194,304 slots (a float32 threshold and a float64 value each: about 50 MB in the file). ECOD or COPOD on n
 * rows has up to 2 · n cuts per feature (two per distinct training value), so n · d up to about 2 million exports.
 */
export const FEATURE_STEPS_MAX_CUTS = 1 << 22;

/**
 * A `feature-steps` spec (HBOS, ECOD, COPOD) as a branch-free binary search in plain ops, the same steps for every
 * row and feature, so the graph has about 5 · log2(cuts) nodes whatever the table size:
 * - the cuts become one float32 table [d, S] (S the largest cut count of a feature, shorter features padded with
 *   +Infinity, never passed), every cut exclusive: an inclusive cut at t is passed by the float32 v ≥ t exactly
 *   when v > the float32 before t;
 * - with `base` = 0 and n = S, while n > 1: half = ⌊n / 2⌋, base += half where v passes cut base + half − 1
 *   (Gather, Greater), n −= half; then base += 1 where v passes cut base. `base` is then the number of cuts v
 *   passes (they pass in order), the region;
 * - the float64 values [d, S + 1] gathered at the regions, summed in float64 (ReduceSum), cast to float32 once.
 * Comparisons of float32 inputs with float32 thresholds are exact, so the score is the detector's own float64
 * sum of the table values, rounded once.
 */
export function addFeatureSteps(b: GraphBuilder, raw: FeatureStepsExportSpec, input: string, d: number): DetectorOutputs {
  const spec = checkFeatureSteps(raw, d);
  const { cutOffsets, thresholds, inclusive } = spec;
  let S = 0;
  for (let j = 0; j < d; j++) S = Math.max(S, cutOffsets[j + 1] - cutOffsets[j]);
  const table = new Float32Array(d * S).fill(Infinity);
  const values = new Float64Array(d * (S + 1));
  for (let j = 0; j < d; j++) {
    for (let i = cutOffsets[j]; i < cutOffsets[j + 1]; i++) {
      const t = thresholds[i];
      table[j * S + i - cutOffsets[j]] = inclusive[i] ? float32Before(t) : t;
    }
    values.set(spec.values.subarray(cutOffsets[j] + j, cutOffsets[j + 1] + j + 1), j * (S + 1));
  }
  const toInt = (v: string, name: string) => b.op('Cast', [v], { to: attr.int(ElemType.int64) }, name);
  const cuts = S > 0 ? b.floatConstant('steps_cuts', table, [d * S]) : '';
  let base: string | null = null;
  // 1 (int64 [N, d]) where the value passes cut `base + offset` of its feature.
  const passes = (offset: number): string => {
    let t: string;
    if (base === null) {
      t = b.floatConstant(
        'steps_cut',
        Float32Array.from({ length: d }, (_, j) => table[j * S + offset]),
        [d],
      );
    } else {
      const at = b.int64Constant(
        'steps_cut_offset',
        Array.from({ length: d }, (_, j) => j * S + offset),
      );
      t = b.op('Gather', [cuts, b.op('Add', [base, at], {}, 'steps_cut_index')], { axis: attr.int(0) }, 'steps_cut');
    }
    return toInt(b.op('Greater', [input, t], {}, 'steps_passes'), 'steps_passes_int');
  };
  const advance = (step: string) => {
    base = base === null ? step : b.op('Add', [base, step], {}, 'steps_base');
  };
  for (let n = S; n > 1; ) {
    const half = n >> 1;
    advance(b.op('Mul', [passes(half - 1), b.int64Constant('steps_half', [half], [])], {}, 'steps_step'));
    n -= half;
  }
  if (S > 0) advance(passes(0));
  const region = base ?? toInt(b.op('Mul', [input, b.floatScalar('zero', 0)], {}, 'steps_zero'), 'steps_region');
  const valueIndex = b.op(
    'Add',
    [
      region,
      b.int64Constant(
        'steps_value_offset',
        Array.from({ length: d }, (_, j) => j * (S + 1)),
      ),
    ],
    {},
    'steps_value_index',
  );
  const terms = b.op(
    'Gather',
    [b.doubleConstant('steps_values', values, [values.length]), valueIndex],
    { axis: attr.int(0) },
    'steps_terms',
  );
  const sum = b.op('ReduceSum', [terms, b.int64Constant('axis1', [1])], { keepdims: attr.int(0) }, 'steps_sum');
  return { score: b.op('Cast', [sum], { to: attr.int(ElemType.float) }, 'steps_score'), probability: false };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 just below the float32 t (−Infinity below −FLT_MAX): v ≥ t ⇔ v > float32Before(t) for float32 v. */
function float32Before(t: number): number {
  if (t === 0) return -1.401298464324817e-45;
  f32[0] = t;
  u32[0] += t > 0 ? -1 : 1;
  return f32[0];
}

function checkFeatureSteps(raw: FeatureStepsExportSpec, d: number): FeatureStepsExportSpec {
  const s = raw as Partial<FeatureStepsExportSpec>;
  const nFeatures = checkInt(s.nFeatures, 'feature-steps export spec nFeatures', 1);
  if (nFeatures !== d)
    throw new UnsupportedExportError(`feature-steps export spec has ${nFeatures} features but the model input has ${d}`);
  const typed: [string, unknown, abstract new (...args: never[]) => unknown][] = [
    ['cutOffsets', s.cutOffsets, Int32Array],
    ['thresholds', s.thresholds, Float32Array],
    ['inclusive', s.inclusive, Uint8Array],
    ['values', s.values, Float64Array],
  ];
  for (const [name, v, T] of typed) {
    if (!(v instanceof T))
      throw new UnsupportedExportError(`feature-steps export spec ${name} must be a ${T.name}, got ${typeName(v)}`);
  }
  const off = s.cutOffsets!;
  const t = s.thresholds!;
  const inc = s.inclusive!;
  const total = t.length;
  if (off.length !== d + 1 || off[0] !== 0 || off[d] !== total) {
    throw new UnsupportedExportError(
      `feature-steps export spec cutOffsets must hold nFeatures + 1 = ${d + 1} offsets from 0 to the ${total} thresholds`,
    );
  }
  if (inc.length !== total)
    throw new UnsupportedExportError(`feature-steps export spec inclusive has ${inc.length} values, thresholds ${total}`);
  if (s.values!.length !== total + d) {
    throw new UnsupportedExportError(
      `feature-steps export spec values has ${s.values!.length} values, expected thresholds + nFeatures = ${total + d}`,
    );
  }
  let widest = 0;
  for (let j = 0; j < d; j++) {
    if (off[j + 1] < off[j]) throw new UnsupportedExportError(`feature-steps export spec cutOffsets decrease at feature ${j}`);
    widest = Math.max(widest, off[j + 1] - off[j]);
  }
  if (d * widest > FEATURE_STEPS_MAX_CUTS) {
    throw new UnsupportedExportError(
      `feature-steps export spec needs a table of ${d} features × ${widest} cuts (its largest feature) = ${d * widest} slots, above the limit of ${FEATURE_STEPS_MAX_CUTS} (FEATURE_STEPS_MAX_CUTS): fit on fewer rows to export`,
    );
  }
  checkFinite(t, 'feature-steps export spec thresholds');
  checkFinite(s.values!, 'feature-steps export spec values');
  for (let j = 0; j < d; j++) {
    for (let i = off[j]; i < off[j + 1]; i++) {
      if (inc[i] > 1) throw new UnsupportedExportError(`feature-steps export spec inclusive[${i}] is ${inc[i]}, not 0 or 1`);
      // In order: thresholds non-decreasing; at one threshold the inclusive cut (v >= t) before the exclusive (v > t).
      if (i > off[j] && (t[i] < t[i - 1] || (t[i] === t[i - 1] && inc[i] > inc[i - 1]))) {
        throw new UnsupportedExportError(
          `feature-steps export spec: the cuts of feature ${j} are out of order at cut ${i - off[j]} (${t[i - 1]}, ${t[i]})`,
        );
      }
    }
  }
  return s as FeatureStepsExportSpec;
}

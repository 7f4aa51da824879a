import type { FeatureStepsExportSpec } from '@abc/core';

/**
 * Builds the `feature-steps` export spec (see `FeatureStepsExportSpec` in `@abc/core`) of a detector whose score
 * is Σ_j f_j(x_j) in float64, from two things the detector knows: where each f_j may change (its cuts) and f_j
 * itself. Every region between consecutive cuts takes the value f_j has at the region's smallest float32, so
 * the table is the detector's own arithmetic, never a re-derivation; regions with equal values are merged.
 *
 * A cut `{ threshold, inclusive }` (threshold a float32 value) is passed by v when v ≥ threshold (inclusive) or
 * v > threshold; f_j must be constant, for float32 inputs, between consecutive cuts. The cuts may come in any
 * order and repeat.
 *
 * @example
 * // f(v) = 1 where v ≥ 2, else 0: one inclusive cut at 2
 * featureStepsSpec(1, () => [{ threshold: 2, inclusive: true }], (_j, v) => (v >= 2 ? 1 : 0), {});
 */
export function featureStepsSpec(
  nFeatures: number,
  cutsOf: (feature: number) => readonly StepCut[],
  valueAt: (feature: number, value: number) => number,
  extra: { scoreKind?: string; threshold?: number },
): FeatureStepsExportSpec {
  const cutOffsets = new Int32Array(nFeatures + 1);
  const thresholds: number[] = [];
  const inclusive: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < nFeatures; j++) {
    const order = (a: StepCut, b: StepCut) => a.threshold - b.threshold || Number(b.inclusive) - Number(a.inclusive);
    let cuts = cutsOf(j);
    for (let c = 1; c < cuts.length; c++) {
      if (order(cuts[c - 1], cuts[c]) > 0) {
        cuts = [...cuts].sort(order);
        break;
      }
    }
    let last = valueAt(j, -FLT_MAX);
    values.push(last);
    for (let c = 0; c < cuts.length; c++) {
      const threshold = cuts[c].threshold;
      const inc = cuts[c].inclusive;
      if (c > 0 && threshold === cuts[c - 1].threshold && inc === cuts[c - 1].inclusive) continue;
      // The smallest float32 that passes this cut starts the region after it.
      const v = valueAt(j, inc ? threshold : nextFloat32Up(threshold));
      if (v === last) continue;
      thresholds.push(threshold);
      inclusive.push(inc ? 1 : 0);
      values.push(v);
      last = v;
    }
    cutOffsets[j + 1] = thresholds.length;
  }
  return {
    kind: 'feature-steps',
    nFeatures,
    cutOffsets,
    thresholds: Float32Array.from(thresholds),
    inclusive: Uint8Array.from(inclusive),
    values: Float64Array.from(values),
    ...(extra.scoreKind === undefined ? {} : { scoreKind: extra.scoreKind }),
    ...(extra.threshold === undefined ? {} : { threshold: extra.threshold }),
  };
}

/** A point where a feature's step function may change: passed by v ≥ threshold (inclusive) or v > threshold. */
export interface StepCut {
  /** A float32 value. */
  threshold: number;
  inclusive: boolean;
}

/** The largest float32. */
export const FLT_MAX = 3.4028234663852886e38;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 after x (x a float32; FLT_MAX stays FLT_MAX, so that the result is finite). */
export function nextFloat32Up(x: number): number {
  if (x >= FLT_MAX) return FLT_MAX;
  if (x === 0) return 1.401298464324817e-45;
  f32[0] = x;
  u32[0] += x > 0 ? 1 : -1;
  return f32[0];
}

/** The largest float32 ≤ x, for a finite x within the float32 range. */
export function float32AtMost(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  f32[0] = f;
  if (f === 0) return -1.401298464324817e-45;
  u32[0] += f > 0 ? -1 : 1;
  return f32[0];
}

/** Float32 values in order as integers: ordinal(a) < ordinal(b) exactly when a < b (−0 and 0 both 0). */
function ordinal(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
}

function fromOrdinal(o: number): number {
  u32[0] = o < 0 ? (0x80000000 | -o) >>> 0 : o;
  return f32[0];
}

/**
 * The smallest float32 in [−FLT_MAX, FLT_MAX] where a predicate that is false then true (monotone) holds, by
 * bisection over the float32 values; FLT_MAX when it holds nowhere below it.
 *
 * @example
 * firstFloat32Where((v) => v >= 0.1); // Math.fround(0.1), the float32 just above 0.1
 */
export function firstFloat32Where(predicate: (v: number) => boolean): number {
  let lo = ordinal(-FLT_MAX);
  let hi = ordinal(FLT_MAX);
  if (predicate(-FLT_MAX)) return -FLT_MAX;
  // predicate(lo) false, answer in (lo, hi]
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (predicate(fromOrdinal(mid))) hi = mid;
    else lo = mid;
  }
  return fromOrdinal(hi);
}

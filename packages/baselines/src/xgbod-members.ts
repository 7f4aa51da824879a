/**
 * XGBOD's member detectors: the presets (PyOD's standard list and a faster cut), the per-family overrides, and the
 * resolved, ordered member list whose scores become the extra feature columns.
 */
import { ValidationError } from '@abc/core';

/** The detector families XGBOD draws its members from. */
export type XGBODFamily = 'knn' | 'lof' | 'hbos' | 'ocsvm' | 'iforest';

/**
 * One member: its family and the one parameter that varies along the list: k for `knn` (method 'largest') and
 * `lof`, the bin count for `hbos`, ν × 100 for `ocsvm` (ν = value / 100), the tree count for `iforest`.
 */
export interface XGBODMember {
  family: XGBODFamily;
  value: number;
}

/** Per family, the values of its members (an empty list: no member of that family). */
export type XGBODMemberLists = { readonly [F in XGBODFamily]: readonly number[] };

/**
 * PyOD's standard list (`XGBOD._init_detectors` of PyOD 3.6.5): KNN and LOF at k = 1, 3, 5, 10, 20, 30, 40, 50
 * (those below the training row count), HBOS at 5, 10, 15, 20, 25, 30, 50 bins, OCSVM at ν = 0.01, 0.1, 0.2, ...,
 * 0.9, 0.99, isolation forests of 10, 20, 50, 70, 100, 150, 200 trees: 41 members with at least 51 training rows.
 */
export const XGBOD_STANDARD_MEMBERS: XGBODMemberLists = Object.freeze({
  knn: [1, 3, 5, 10, 20, 30, 40, 50],
  lof: [1, 3, 5, 10, 20, 30, 40, 50],
  hbos: [5, 10, 15, 20, 25, 30, 50],
  ocsvm: [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99],
  iforest: [10, 20, 50, 70, 100, 150, 200],
});

/**
 * A cut of the standard list for larger training sets: the same KNN, LOF and HBOS members (one shared neighbour
 * search serves every k), no one-class SVM (its fit grows with the square of the row count), and isolation forests
 * of 50 and 100 trees only: 25 members.
 */
export const XGBOD_FAST_MEMBERS: XGBODMemberLists = Object.freeze({
  knn: XGBOD_STANDARD_MEMBERS.knn,
  lof: XGBOD_STANDARD_MEMBERS.lof,
  hbos: XGBOD_STANDARD_MEMBERS.hbos,
  ocsvm: [],
  iforest: [50, 100],
});

/** The presets by name. */
export const XGBOD_MEMBER_PRESETS = Object.freeze({ standard: XGBOD_STANDARD_MEMBERS, fast: XGBOD_FAST_MEMBERS });

/** The params that choose the members: a preset and, per family, an override of its list (null: the preset's). */
export interface XGBODMemberParams {
  members: keyof typeof XGBOD_MEMBER_PRESETS;
  knnNeighbors: number[] | null;
  lofNeighbors: number[] | null;
  hbosBins: number[] | null;
  ocsvmNuPercent: number[] | null;
  iforestTrees: number[] | null;
}

const OVERRIDE: { readonly [F in XGBODFamily]: keyof XGBODMemberParams } = {
  knn: 'knnNeighbors',
  lof: 'lofNeighbors',
  hbos: 'hbosBins',
  ocsvm: 'ocsvmNuPercent',
  iforest: 'iforestTrees',
};

/** The smallest and largest value of each family (the lists' own rule; ν must lie in (0, 1]). */
const RANGE: { readonly [F in XGBODFamily]: readonly [number, number] } = {
  knn: [1, Number.MAX_SAFE_INTEGER],
  lof: [1, Number.MAX_SAFE_INTEGER],
  hbos: [2, Number.MAX_SAFE_INTEGER],
  ocsvm: [1, 100],
  iforest: [1, Number.MAX_SAFE_INTEGER],
};

/**
 * The member lists the params ask for: the preset's, each family replaced by its override when one is set.
 *
 * @example
 * memberLists({ members: 'fast', knnNeighbors: [5], lofNeighbors: null, hbosBins: [], ocsvmNuPercent: null, iforestTrees: null });
 * // { knn: [5], lof: [1, 3, ..., 50], hbos: [], ocsvm: [], iforest: [50, 100] }
 */
export function memberLists(p: XGBODMemberParams): XGBODMemberLists {
  const preset = XGBOD_MEMBER_PRESETS[p.members];
  const out = {} as { [F in XGBODFamily]: readonly number[] };
  for (const family of Object.keys(OVERRIDE) as XGBODFamily[]) {
    const own = p[OVERRIDE[family]] as number[] | null;
    out[family] = own ?? preset[family];
  }
  return out;
}

/**
 * What is wrong with the member params, or null: a value outside its family's range, a repeated value, or no
 * member at all. (For `declareDetector`'s `checkParams`.)
 *
 * @example
 * checkMemberParams({ ...params, ocsvmNuPercent: [0] }); // 'ocsvmNuPercent: 0 is outside [1, 100] (ν × 100)'
 */
export function checkMemberParams(p: XGBODMemberParams): string | null {
  const lists = memberLists(p);
  for (const family of Object.keys(OVERRIDE) as XGBODFamily[]) {
    const [lo, hi] = RANGE[family];
    const seen = new Set<number>();
    for (const v of lists[family]) {
      if (v < lo || v > hi)
        return `${OVERRIDE[family]}: ${v} is outside [${lo}, ${hi === Number.MAX_SAFE_INTEGER ? '∞' : hi}]${family === 'ocsvm' ? ' (ν × 100)' : ''}`;
      if (seen.has(v)) return `${OVERRIDE[family]}: ${v} is listed twice`;
      seen.add(v);
    }
  }
  if (Object.values(lists).every((l) => l.length === 0)) return 'no member detector: every family list is empty';
  return null;
}

/**
 * The ordered member list for `rows` training rows, in PyOD's order: KNN and LOF alternating (KNN first) over
 * their lists, then HBOS, OCSVM and isolation forests. As PyOD does, KNN and LOF members with k ≥ rows are left
 * out; a list left with no member at all is a `ValidationError`.
 *
 * @example
 * resolveMembers(memberLists(params), 30).length; // 41 − 6 (k = 30, 40, 50 dropped for KNN and LOF)
 */
export function resolveMembers(lists: XGBODMemberLists, rows: number): XGBODMember[] {
  const knn = lists.knn.filter((k) => k < rows);
  const lof = lists.lof.filter((k) => k < rows);
  const out: XGBODMember[] = [];
  for (let i = 0; i < Math.max(knn.length, lof.length); i++) {
    if (i < knn.length) out.push({ family: 'knn', value: knn[i] });
    if (i < lof.length) out.push({ family: 'lof', value: lof[i] });
  }
  for (const family of ['hbos', 'ocsvm', 'iforest'] as const) {
    for (const value of lists[family]) out.push({ family, value });
  }
  if (out.length === 0) {
    throw new ValidationError(
      'shape',
      `xgbod: no member detector for ${rows} training rows (every KNN and LOF k is >= the row count and the other lists are empty)`,
    );
  }
  return out;
}

/** Whether a member learns on the standardized features (KNN, LOF, OCSVM: PyOD's `standardization_flag_list`). */
export function isStandardized(family: XGBODFamily): boolean {
  return family === 'knn' || family === 'lof' || family === 'ocsvm';
}

/**
 * A member's column label, e.g. `knn(k=5)`, `ocsvm(nu=0.1)`.
 *
 * @example
 * memberLabel({ family: 'ocsvm', value: 10 }); // 'ocsvm(nu=0.1)'
 */
export function memberLabel(m: XGBODMember): string {
  switch (m.family) {
    case 'knn':
    case 'lof':
      return `${m.family}(k=${m.value})`;
    case 'hbos':
      return `hbos(bins=${m.value})`;
    case 'ocsvm':
      return `ocsvm(nu=${m.value / 100})`;
    case 'iforest':
      return `iforest(trees=${m.value})`;
  }
}

import { readFileSync } from 'node:fs';
import { Random } from '@abc/core';
import { toyData as baseToyData } from './helpers.js';

export { auroc, pearson, toM, select as pick } from './helpers.js';

/** Test helpers of the SVM baselines; the AUROC, matrix and toy-data helpers are shared with helpers.ts. */

export interface SvmFixtureSet {
  name: string;
  model: 'svc' | 'ocsvm';
  params: Record<string, unknown>;
  /** Our params equivalent to scikit-learn's `params`. */
  ours: Record<string, number | string>;
  Xtrain: number[][];
  ytrain?: number[];
  Xtest: number[][];
  ytest: number[];
  /** scikit-learn's score on Xtest (higher = more anomalous). */
  score: number[];
  auroc: number;
  gamma: number;
  rho: number;
  nSupport: number;
}

export function loadSvmFixture(): { versions: Record<string, string>; sets: SvmFixtureSet[] } {
  return JSON.parse(readFileSync(new URL('./fixtures/svm/svm.json', import.meta.url), 'utf8'));
}

/**
 * The paper's 2-D toy data, drawn with core's Random: normals = the upper half circle of make_moons
 * (cos t, sin t), known anomalies = the lower one (1 − cos t, 0.5 − sin t), both at uniform random angles with
 * Gaussian noise sd 0.3; unknown anomalies ~ N((−3, 3), 0.3²). kind: 0 normal, 1 known, 2 unknown.
 */
export function toyData(seed: number, nNormal: number, nKnown: number, nUnknown: number, noise = 0.3) {
  return baseToyData(new Random(seed), nNormal, nKnown, nUnknown, noise);
}

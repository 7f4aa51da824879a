import type { ClassicalExportSpec, DetectorExportSpec } from '@abc/core';
import { addAugmented, type AddDetector } from './augmented.js';
import type { DetectorOutputs } from './dense.js';
import { addFeatureSteps } from './feature-steps.js';
import { addNeighbours } from './neighbours.js';
import { addSvm } from './svm.js';

/** The kinds of the classical detectors' specs (issue 18), each converted by one module of this folder. */
export const CLASSICAL_KINDS: readonly string[] = ['feature-steps', 'neighbours', 'svm', 'augmented'];

/** True for a `feature-steps`, `neighbours`, `svm` or `augmented` spec. */
export function isClassicalSpec(spec: DetectorExportSpec | null | undefined): spec is ClassicalExportSpec {
  return typeof spec?.kind === 'string' && CLASSICAL_KINDS.includes(spec.kind);
}

/**
 * Adds a classical detector's spec (HBOS, ECOD, COPOD: `feature-steps`; KNN, LOF: `neighbours`; OCSVM, SVM:
 * `svm`; XGBOD: `augmented`, whose members and head go through `addDetector`) and names its score kind for the
 * metadata.
 */
export function addClassical(
  b: Parameters<typeof addSvm>[0],
  spec: ClassicalExportSpec,
  input: string,
  d: number,
  addDetector: AddDetector,
): { out: DetectorOutputs; scoreKind: string } {
  switch (spec.kind) {
    case 'feature-steps':
      return { out: addFeatureSteps(b, spec, input, d), scoreKind: spec.scoreKind ?? 'feature-steps' };
    case 'neighbours':
      return { out: addNeighbours(b, spec, input, d), scoreKind: spec.score === 'lof' ? 'lof' : `knn-${spec.score}` };
    case 'svm':
      return { out: addSvm(b, spec, input, d), scoreKind: spec.sign === 1 ? 'svm-decision' : 'svm-negative-decision' };
    case 'augmented':
      return { out: addAugmented(b, spec, input, d, addDetector), scoreKind: 'augmented' };
  }
}

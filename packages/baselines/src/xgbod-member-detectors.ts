/**
 * XGBOD's members that are detectors of their own (HBOS, OCSVM, isolation forest), built with PyOD's settings and
 * keeping the training scores their fit computes anyway (for its threshold), so that XGBOD does not score the
 * training rows a second time: for a one-class SVM that second pass would cost as much as scoring new rows.
 */
import { ValidationError } from '@abc/core';
import { HBOS } from './hbos.js';
import { IsolationForest } from './iforest.js';
import { OCSVM } from './svm/ocsvm.js';
import type { XGBODMember } from './xgbod-members.js';

/** What a member detector adds: the scores of its last fit's training rows. */
export interface KeepsFitScores {
  /** The scores of the training rows of the last fit (what `scoreSamples` on them gives), or null before fit. */
  readonly fitScores: Float32Array | null;
}

class MemberHBOS extends HBOS implements KeepsFitScores {
  fitScores: Float32Array | null = null;
  protected override onFitScores(trainScores: Float32Array): void {
    this.fitScores = trainScores;
  }
}

class MemberOCSVM extends OCSVM implements KeepsFitScores {
  fitScores: Float32Array | null = null;
  protected override onFitScores(trainScores: Float32Array): void {
    this.fitScores = trainScores;
  }
}

class MemberIsolationForest extends IsolationForest implements KeepsFitScores {
  fitScores: Float32Array | null = null;
  protected override onFitScores(trainScores: Float32Array): void {
    this.fitScores = trainScores;
  }
}

/** A member that is a detector of its own (the KNN and LOF members share one neighbour search instead). */
export type XGBODMemberDetector = (HBOS | OCSVM | IsolationForest) & KeepsFitScores;

/**
 * A member detector with PyOD's settings for it: HBOS with `value` bins; OCSVM with ν = value / 100 and
 * γ = 1 / `nFeatures` (PyOD's 'auto'); an isolation forest of `value` trees; both seeded with `seed` (the forest's
 * draws, the OCSVM's subsample above 10,000 rows). Its registry name, params and model state are those of the
 * plain class, so its state loads into one.
 *
 * @example
 * const det = createMemberDetector({ family: 'ocsvm', value: 10 }, 8, 0); // OCSVM({ nu: 0.1, gamma: 1 / 8, seed: 0 })
 * await det.fit(Xstd);
 * det.fitScores;                                                          // = await det.scoreSamples(Xstd)
 */
export function createMemberDetector(m: XGBODMember, nFeatures: number, seed: number): XGBODMemberDetector {
  switch (m.family) {
    case 'hbos':
      return new MemberHBOS({ nBins: m.value });
    case 'ocsvm':
      return new MemberOCSVM({ nu: m.value / 100, gamma: 1 / nFeatures, seed });
    case 'iforest':
      return new MemberIsolationForest({ nEstimators: m.value, seed });
    default:
      throw new ValidationError(
        'param',
        `xgbod: ${m.family} members share the neighbour search; they are not detectors of their own`,
      );
  }
}

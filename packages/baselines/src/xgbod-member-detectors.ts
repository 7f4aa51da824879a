/**
 * XGBOD's members that are detectors of their own (HBOS, OCSVM, isolation forest), built with PyOD's settings and
 * keeping the training scores their fit computes anyway (for its threshold), so that XGBOD does not score the
 * training rows a second time: for a one-class SVM that second pass would cost as much as scoring new rows.
 */
import { ValidationError, type FitContext, type Labels, type Matrix } from '@abc/core';
import { HBOS, type HBOSModel } from './hbos.js';
import { IsolationForest, type IsolationForestModel } from './iforest.js';
import type { SvmModel } from './svm/common.js';
import { OCSVM } from './svm/ocsvm.js';
import type { XGBODMember } from './xgbod-members.js';

/** What a member detector adds: the scores of its last fit's training rows. */
export interface KeepsFitScores {
  /** The scores of the training rows of the last fit (what `scoreSamples` on them gives), or null before fit. */
  readonly fitScores: Float32Array | null;
}

/** Notes the matrix a fit gets and keeps the scores computed for that very matrix (the base class's threshold call). */
class FitScoreRecorder {
  scores: Float32Array | null = null;
  private training: Matrix | null = null;

  start(X: Matrix): void {
    this.training = X;
    this.scores = null;
  }

  note(X: Matrix, scores: Float32Array): Float32Array {
    if (X === this.training) {
      this.training = null;
      this.scores = scores;
    }
    return scores;
  }
}

class MemberHBOS extends HBOS implements KeepsFitScores {
  private readonly recorder = new FitScoreRecorder();
  get fitScores(): Float32Array | null {
    return this.recorder.scores;
  }
  protected override fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<HBOSModel> {
    this.recorder.start(X);
    return super.fitModel(X, y, ctx);
  }
  protected override scoreModel(model: HBOSModel, X: Matrix): Float32Array {
    return this.recorder.note(X, super.scoreModel(model, X));
  }
}

class MemberOCSVM extends OCSVM implements KeepsFitScores {
  private readonly recorder = new FitScoreRecorder();
  get fitScores(): Float32Array | null {
    return this.recorder.scores;
  }
  protected override fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<SvmModel> {
    this.recorder.start(X);
    return super.fitModel(X, y, ctx);
  }
  protected override scoreModel(model: SvmModel, X: Matrix): Float32Array {
    return this.recorder.note(X, super.scoreModel(model, X));
  }
}

class MemberIsolationForest extends IsolationForest implements KeepsFitScores {
  private readonly recorder = new FitScoreRecorder();
  get fitScores(): Float32Array | null {
    return this.recorder.scores;
  }
  protected override fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<IsolationForestModel> {
    this.recorder.start(X);
    return super.fitModel(X, y, ctx);
  }
  protected override scoreModel(model: IsolationForestModel, X: Matrix): Float32Array {
    return this.recorder.note(X, super.scoreModel(model, X));
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

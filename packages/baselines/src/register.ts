import { hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { GradientTreeBoosting, type GradientTreeBoostingParams } from './gtb.js';
import { IsolationForest, type IsolationForestParams } from './iforest.js';
import { RUSBoost, type RUSBoostParams } from './rusboost.js';
import { svmEntries } from './svm/register.js';
import { HBOS, type HBOSParams } from './hbos.js';
import { ECOD, type ECODParams } from './ecod.js';
import { COPOD, type COPODParams } from './copod.js';

/** The registry entries of this package's detectors (names are final: see DESIGN.md, "Firm contracts"). */
export const baselineEntries: readonly DetectorEntry[] = [
  {
    name: 'iforest',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'isolation forest (Liu et al. 2008); score = 2^(-E[h(x)]/c(psi)), as -score_samples of scikit-learn',
    paramSpace: IsolationForest.paramSpace,
    create: (p) => new IsolationForest(p as Partial<IsolationForestParams>),
  },
  {
    name: 'gtb',
    supervision: 'supervised',
    hasProbability: true,
    description: 'histogram gradient tree boosting (binary log-loss, leaf-wise, as HistGradientBoostingClassifier); score = p(anomaly)',
    paramSpace: GradientTreeBoosting.paramSpace,
    create: (p) => new GradientTreeBoosting(p as Partial<GradientTreeBoostingParams>),
  },
  {
    name: 'rusboost',
    supervision: 'supervised',
    hasProbability: true,
    description: 'RUSBoost: random undersampling + discrete SAMME AdaBoost of depth-3 trees; score = normalised weighted vote',
    paramSpace: RUSBoost.paramSpace,
    create: (p) => new RUSBoost(p as Partial<RUSBoostParams>),
  },
  ...svmEntries,
  {
    name: 'hbos',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'HBOS: per-feature equal-width histograms (Goldstein and Dengel 2012); score = -sum log2(density + alpha), as PyOD',
    paramSpace: HBOS.paramSpace,
    create: (p) => new HBOS(p as Partial<HBOSParams>),
  },
  {
    name: 'ecod',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'ECOD: per-feature tail probabilities under the training ECDFs (Li et al. 2022); score = sum of the larger -ln tail, as PyOD on training rows',
    paramSpace: ECOD.paramSpace,
    create: (p) => new ECOD(p as Partial<ECODParams>),
  },
  {
    name: 'copod',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'COPOD: empirical copula tails (Li et al. 2020); score = sum of max(skew-corrected tail, mean of both tails), as PyOD on training rows',
    paramSpace: COPOD.paramSpace,
    create: (p) => new COPOD(p as Partial<COPODParams>),
  },
];

/** Registers every baseline detector that is not registered yet (safe to call any number of times). */
export function registerBaselines(): void {
  for (const entry of baselineEntries) {
    if (!hasDetector(entry.name)) registerDetector(entry);
  }
}

registerBaselines();

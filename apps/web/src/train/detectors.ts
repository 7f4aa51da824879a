import type { DetectorEntry, Params } from '@abc/core';

/** Choices that shape the default parameters of the detectors the page fits. */
export interface TrainingSettings {
  /** Epochs of the neural detectors (their `maxEpochs`). */
  epochs: number;
  seed: number;
  /** Feature count of the data. */
  cols: number;
}

/**
 * The parameters the page fits a registered detector with: its defaults, plus the seed, the epoch budget for
 * networks, and for two-feature data the paper's 2-D network (hidden 10-10, latent 1). Only parameters the
 * detector declares are set, so a plugin's detector gets just its seed.
 *
 * @example
 * detectorParams(getDetectorEntry('abc'), { epochs: 60, seed: 0, cols: 2 }); // { seed: 0, maxEpochs: 60, hidden: [10, 10], latent: 1 }
 */
export function detectorParams(entry: Pick<DetectorEntry, 'paramSpace'>, s: TrainingSettings): Params {
  const space = entry.paramSpace;
  const p: Params = {};
  if ('seed' in space) p.seed = s.seed;
  if ('maxEpochs' in space) p.maxEpochs = s.epochs;
  if (s.cols === 2 && 'hidden' in space && 'latent' in space) {
    p.hidden = [10, 10];
    p.latent = 1;
  }
  return p;
}

import { detectorEntry, hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { COPOD } from './copod.js';
import { ECOD } from './ecod.js';
import { GradientTreeBoosting } from './gtb.js';
import { HBOS } from './hbos.js';
import { IsolationForest } from './iforest.js';
import { KNN } from './knn.js';
import { LOF } from './lof.js';
import { RUSBoost } from './rusboost.js';
import { svmEntries } from './svm/register.js';
import { XGBOD } from './xgbod.js';

/** This package's detector classes besides the SVMs, each declaring itself. */
export const baselineClasses = [IsolationForest, GradientTreeBoosting, RUSBoost, HBOS, ECOD, COPOD, KNN, LOF, XGBOD] as const;

/** The registry entries of this package's detectors (names are final: see docs/contracts.md). */
export const baselineEntries: readonly DetectorEntry[] = [...baselineClasses.map((cls) => detectorEntry(cls)), ...svmEntries];

/** Registers every baseline detector that is not registered yet (safe to call any number of times). */
export function registerBaselines(): void {
  for (const entry of baselineEntries) {
    if (!hasDetector(entry.name)) registerDetector(entry);
  }
}

registerBaselines();

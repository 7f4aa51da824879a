import { detectorEntry, hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { OCSVM } from './ocsvm.js';
import { SVM } from './svc.js';

/** The registry entries of the two SVMs (from their declarations; names are final: see docs/contracts.md). */
export const svmEntries: readonly DetectorEntry[] = [detectorEntry(SVM), detectorEntry(OCSVM)];

/** Registers `svm` and `ocsvm` where they are not registered yet (safe to call any number of times). */
export function registerSvmDetectors(): void {
  for (const entry of svmEntries) {
    if (!hasDetector(entry.name)) registerDetector(entry);
  }
}

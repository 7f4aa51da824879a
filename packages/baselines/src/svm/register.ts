import { hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { OCSVM, type OCSVMParams } from './ocsvm.js';
import { SVM, type SVMParams } from './svc.js';

/** The registry entries of the two SVMs (names are final: see DESIGN.md, "Firm contracts"). */
export const svmEntries: readonly DetectorEntry[] = [
  {
    name: 'svm',
    supervision: 'supervised',
    hasProbability: false,
    description:
      "C-SVC with an RBF kernel (libsvm's SMO, as scikit-learn SVC); score = decision function, > 0 on the anomaly side",
    paramSpace: SVM.paramSpace,
    create: (p) => new SVM(p as Partial<SVMParams>),
  },
  {
    name: 'ocsvm',
    supervision: 'unsupervised',
    hasProbability: false,
    description:
      "one-class SVM with an RBF kernel (libsvm's SMO, as scikit-learn OneClassSVM); score = -decision_function, > 0 outside",
    paramSpace: OCSVM.paramSpace,
    create: (p) => new OCSVM(p as Partial<OCSVMParams>),
  },
];

/** Registers `svm` and `ocsvm` where they are not registered yet (safe to call any number of times). */
export function registerSvmDetectors(): void {
  for (const entry of svmEntries) {
    if (!hasDetector(entry.name)) registerDetector(entry);
  }
}

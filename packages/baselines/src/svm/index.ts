/** The SVM baselines: supervised C-SVC (`svm`) and the one-class SVM (`ocsvm`), RBF kernel, libsvm's SMO. */
export { SVM, svmParamSpace, type SVMParams } from './svc.js';
export { OCSVM, ocsvmParamSpace, type OCSVMParams } from './ocsvm.js';
export { registerSvmDetectors, svmEntries } from './register.js';
export type { SvmModel } from './common.js';
export { solveSmo, type SmoHooks, type SmoProblem, type SmoResult } from './smo.js';
export { scaleGamma, hasWasmSimd, type SqDistBackend } from './kernel.js';

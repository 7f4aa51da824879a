import { UnsupportedExportError, type KernelSvmExportSpec } from '@abc/core';
import { attr, ElemType, type GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';

/**
 * The most support-vector values (nSupport × nFeatures) an `svm` spec may carry: 2^27 float32 (512 MiB), well
 * below protobuf's 2 GiB per file. Our SVMs keep at most `maxSamples` (10,000 by default) rows.
 */
export const SVM_MAX_VALUES = 1 << 27;

/**
 * An `svm` spec: score = sign · (Σ_s dualCoef_s · exp(−gamma ‖sv_s − x‖²) − rho), in float64 with plain ops (the
 * `ai.onnx.ml` SVM operators compute in float32, whose rounding over thousands of support vectors would show in
 * the fourth decimal, and `SVMRegressor`'s `one_class = 1` gives ±1, not the score). Squared distances by the
 * expansion ‖x − μ‖² − 2 (x − μ)·(sv − μ) + ‖sv − μ‖² around the support vectors' mean μ (Gemm), then Exp, a
 * MatMul with the coefficients, − rho, the sign, one cast to float32.
 */
export function addSvm(b: GraphBuilder, raw: KernelSvmExportSpec, input: string, d: number): DetectorOutputs {
  const spec = checkSvm(raw, d);
  const nSV = spec.dualCoef.length;
  const x = b.op('Cast', [input], { to: attr.int(ElemType.double) }, 'svm_x');
  let decision: string;
  if (nSV === 0) {
    // f(x) = −rho everywhere.
    const zero = b.op('Mul', [
      b.op('ReduceSum', [x, b.int64Constant('axis1', [1])], { keepdims: attr.int(0) }),
      b.doubleConstant('zero_f64', [0], []),
    ]);
    decision = b.op('Sub', [zero, b.doubleConstant('svm_rho', [spec.rho], [])], {}, 'svm_decision');
  } else {
    const mean = new Float64Array(d);
    for (let s = 0; s < nSV; s++) for (let j = 0; j < d; j++) mean[j] += spec.supportVectors[s * d + j];
    for (let j = 0; j < d; j++) mean[j] /= nSV;
    const mu = b.doubleConstant('svm_mean', mean, [d]);
    const sv = b.op(
      'Cast',
      [b.floatConstant('svm_support_vectors', spec.supportVectors, [nSV, d])],
      { to: attr.int(ElemType.double) },
      'svm_support_vectors_f64',
    );
    const svc = b.op('Sub', [sv, mu], {}, 'svm_sv_centred');
    const xc = b.op('Sub', [x, mu], {}, 'svm_x_centred');
    const ss = b.op('ReduceSumSquare', [svc], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'svm_sv_sq');
    const xx = b.op('ReduceSumSquare', [xc], { axes: attr.ints([1]), keepdims: attr.int(1) }, 'svm_x_sq');
    const cross = b.op('Gemm', [xc, svc, ss], { alpha: attr.float(-2), transB: attr.int(1) }, 'svm_partial_sq_distance');
    const sq = b.op('Add', [cross, xx], {}, 'svm_sq_distance');
    const kernel = b.op(
      'Exp',
      [b.op('Mul', [sq, b.doubleConstant('svm_neg_gamma', [-spec.gamma], [])], {}, 'svm_scaled')],
      {},
      'svm_kernel',
    );
    const sum = b.op('MatMul', [kernel, b.doubleConstant('svm_dual_coef', spec.dualCoef, [nSV, 1])], {}, 'svm_kernel_sum');
    const flat = b.op('Squeeze', [sum, b.int64Constant('axis1', [1])], {}, 'svm_kernel_sum_flat');
    decision = b.op('Sub', [flat, b.doubleConstant('svm_rho', [spec.rho], [])], {}, 'svm_decision');
  }
  const signed = spec.sign === 1 ? decision : b.op('Neg', [decision], {}, 'svm_neg_decision');
  return {
    score: b.op('Cast', [signed], { to: attr.int(ElemType.float) }, 'svm_score'),
    probability: false,
    workBytesPerRow: svmWorkBytesPerRow(nSV, d),
  };
}

/**
 * The working bytes per scored row of {@link addSvm}'s graph with `nSV` support vectors of `d` features: the sum of
 * every per-row intermediate it creates (an upper bound on those alive at once), all float64 (8 bytes):
 * - 4 · nSV: the Gemm's partial squared distances, the squared distances, −γ times them and the kernel values
 *   ([N, nSV] each; a plain run holds two of them at once, the input and output of one step);
 * - 2 · d + 6: x in float64 and centred, ‖x − μ‖², the kernel sum, the decision and its sign.
 * So 8 · (4 · nSV + 2 · d + 6); e.g. 10,000 support vectors × 10 features: 320,208.
 */
export function svmWorkBytesPerRow(nSV: number, d: number): number {
  return 8 * (4 * nSV + 2 * d + 6);
}

function checkSvm(raw: KernelSvmExportSpec, d: number): KernelSvmExportSpec {
  const s = raw as Partial<KernelSvmExportSpec>;
  if (s.kernel !== 'rbf') {
    throw new UnsupportedExportError(`svm export spec kernel "${String(s.kernel)}" is not supported (supported: rbf)`);
  }
  const nFeatures = checkInt(s.nFeatures, 'svm export spec nFeatures', 1);
  if (nFeatures !== d) throw new UnsupportedExportError(`svm export spec has ${nFeatures} features but the model input has ${d}`);
  if (!(typeof s.gamma === 'number' && s.gamma > 0 && Number.isFinite(s.gamma)))
    throw new UnsupportedExportError(`svm export spec gamma must be a finite number > 0, got ${String(s.gamma)}`);
  if (!(typeof s.rho === 'number' && Number.isFinite(s.rho)))
    throw new UnsupportedExportError(`svm export spec rho must be a finite number, got ${String(s.rho)}`);
  if (s.sign !== 1 && s.sign !== -1)
    throw new UnsupportedExportError(`svm export spec sign must be 1 or -1, got ${String(s.sign)}`);
  if (!(s.dualCoef instanceof Float64Array))
    throw new UnsupportedExportError(`svm export spec dualCoef must be a Float64Array, got ${typeName(s.dualCoef)}`);
  const nSV = s.dualCoef.length;
  if (!(s.supportVectors instanceof Float32Array) || s.supportVectors.length !== nSV * d) {
    throw new UnsupportedExportError(
      `svm export spec supportVectors must be a Float32Array of ${nSV} × ${d} values (one row per dualCoef), got ${typeName(s.supportVectors)} of ${(s.supportVectors as { length?: number } | undefined)?.length}`,
    );
  }
  if (nSV * d > SVM_MAX_VALUES) {
    throw new UnsupportedExportError(
      `svm export spec holds ${nSV} support vectors × ${d} features = ${nSV * d} values, above the limit of ${SVM_MAX_VALUES} (SVM_MAX_VALUES)`,
    );
  }
  checkFinite(s.supportVectors, 'svm export spec supportVectors');
  checkFinite(s.dualCoef, 'svm export spec dualCoef');
  return s as KernelSvmExportSpec;
}

import { KernelMatrix, type SqDistBackend } from './kernel.js';

/**
 * Sequential minimal optimisation for the SVM duals libsvm solves (Chang and Lin, "LIBSVM: a library for
 * support vector machines", 2011, and libsvm's `svm.cpp`, `Solver::Solve`), the solver scikit-learn's `SVC`
 * and `OneClassSVM` wrap:
 *
 *     min_α ½ αᵀQα + pᵀα   subject to   yᵀα = Δ,   0 ≤ α_i ≤ C_i
 *
 * with the second-order working-set selection WSS3 of Fan, Chen and Lin (JMLR 2005), the same stopping rule
 * (max violation m(α) − M(α) < eps) and the same rho. Not ported: shrinking (a speed heuristic that does not
 * change the optimum; kernel rows are cached instead, as float32, least-recently-used).
 */

const TAU = 1e-12;

export interface SmoProblem {
  /** Row-major training rows, l × d. */
  X: Float32Array;
  l: number;
  d: number;
  /** ±1 per row. */
  y: Int8Array;
  /** The linear term p. */
  p: Float64Array;
  /** Starting α (feasible); it is copied. */
  alpha: Float64Array;
  /** Upper bounds for y = +1 and y = −1. */
  Cp: number;
  Cn: number;
  gamma: number;
  /** Stopping tolerance on the maximal violating pair. */
  eps: number;
  /** Iteration cap (libsvm's is max(10⁷, 100 l)). */
  maxIter: number;
  /** Kernel cache size in bytes. */
  cacheBytes: number;
  /** Distance backend: WebAssembly SIMD where available ('auto'), or plain JavaScript; same results. */
  backend?: 'auto' | SqDistBackend;
}

export interface SmoResult {
  alpha: Float64Array;
  rho: number;
  /** Dual objective value at the end. */
  obj: number;
  iterations: number;
  converged: boolean;
  /** Kernel rows computed (cache misses). */
  kernelRows: number;
}

/** Hooks into a running solver; each may return a promise (to yield to the event loop) and may throw (an abort). */
export interface SmoHooks {
  /** Called every `every` iterations with the iteration count and the violation m(α) − M(α). */
  progress?: (iteration: number, gap: number) => void | Promise<void>;
  /** Iterations between progress calls (default 1000). */
  every?: number;
  /** Called about every `tickMs` of solver time (also while the initial gradient is built), for abort checks. */
  tick?: () => void | Promise<void>;
  tickMs?: number;
}

export async function solveSmo(prob: SmoProblem, hooks: SmoHooks = {}): Promise<SmoResult> {
  const every = hooks.every ?? 1000;
  const tickMs = hooks.tickMs ?? 50;
  let lastTick = Date.now();
  const tickDue = () => hooks.tick !== undefined && Date.now() - lastTick >= tickMs;
  const tick = async () => {
    await hooks.tick!();
    lastTick = Date.now();
  };
  const { l, y, p, Cp, Cn, eps, maxIter } = prob;
  const Q = new KernelMatrix(prob.X, l, prob.d, prob.gamma, y, prob.cacheBytes, prob.backend);
  const alpha = Float64Array.from(prob.alpha);
  const C = new Float64Array(l);
  for (let i = 0; i < l; i++) C[i] = y[i] > 0 ? Cp : Cn;
  // 0 = lower bound, 1 = upper bound, 2 = free.
  const status = new Uint8Array(l);
  const updateStatus = (i: number) => {
    status[i] = alpha[i] >= C[i] ? 1 : alpha[i] <= 0 ? 0 : 2;
  };
  for (let i = 0; i < l; i++) updateStatus(i);

  // Gradient G = Qα + p. (QD, the diagonal of Q, is 1 for the RBF kernel.)
  const G = Float64Array.from(p);
  const start: number[] = [];
  for (let i = 0; i < l; i++) if (status[i] !== 0) start.push(i);
  for (let b = 0; b < start.length; b += 64) {
    // Rows in blocks (computed four at a time) as far as the cache holds them.
    Q.prefetch(start.slice(b, b + 64));
    for (const i of start.slice(b, b + 64)) {
      const Qi = Q.row(i);
      const ai = alpha[i];
      for (let j = 0; j < l; j++) G[j] += ai * Qi[j];
    }
    if (tickDue()) await tick();
  }

  let iter = 0;
  let converged = false;
  let gap = Infinity;
  for (;;) {
    // --- WSS3: select i by the maximal violation, j by the second-order gain. ---
    let Gmax = -Infinity;
    let GmaxIdx = -1;
    for (let t = 0; t < l; t++) {
      if (y[t] > 0) {
        if (status[t] !== 1 && -G[t] >= Gmax) {
          Gmax = -G[t];
          GmaxIdx = t;
        }
      } else if (status[t] !== 0 && G[t] >= Gmax) {
        Gmax = G[t];
        GmaxIdx = t;
      }
    }
    const i = GmaxIdx;
    let Gmax2 = -Infinity;
    let GminIdx = -1;
    let objDiffMin = Infinity;
    if (i !== -1) {
      const Qi = Q.row(i);
      const yi = y[i];
      for (let j = 0; j < l; j++) {
        if (y[j] > 0) {
          if (status[j] !== 0) {
            const gradDiff = Gmax + G[j];
            if (G[j] >= Gmax2) Gmax2 = G[j];
            if (gradDiff > 0) {
              const quad = 2 - 2 * yi * Qi[j];
              const objDiff = -(gradDiff * gradDiff) / (quad > 0 ? quad : TAU);
              if (objDiff <= objDiffMin) {
                GminIdx = j;
                objDiffMin = objDiff;
              }
            }
          }
        } else if (status[j] !== 1) {
          const gradDiff = Gmax - G[j];
          if (-G[j] >= Gmax2) Gmax2 = -G[j];
          if (gradDiff > 0) {
            const quad = 2 + 2 * yi * Qi[j];
            const objDiff = -(gradDiff * gradDiff) / (quad > 0 ? quad : TAU);
            if (objDiff <= objDiffMin) {
              GminIdx = j;
              objDiffMin = objDiff;
            }
          }
        }
      }
    }
    gap = Gmax + Gmax2;
    if (gap < eps || GminIdx === -1) {
      converged = true;
      break;
    }
    if (iter >= maxIter) break;
    iter++;
    const j = GminIdx;

    // --- Update α_i, α_j on the two-variable subproblem (libsvm's clipping, verbatim). ---
    // Fetch Q_j first, then Q_i: Q_i was the most recent row before, so both stay cached.
    const Qj = Q.row(j);
    const Qi = Q.row(i);
    const Ci = C[i];
    const Cj = C[j];
    const oldAi = alpha[i];
    const oldAj = alpha[j];
    if (y[i] !== y[j]) {
      let quad = 2 + 2 * Qi[j];
      if (quad <= 0) quad = TAU;
      const delta = (-G[i] - G[j]) / quad;
      const diff = alpha[i] - alpha[j];
      alpha[i] += delta;
      alpha[j] += delta;
      if (diff > 0) {
        if (alpha[j] < 0) {
          alpha[j] = 0;
          alpha[i] = diff;
        }
      } else if (alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = -diff;
      }
      if (diff > Ci - Cj) {
        if (alpha[i] > Ci) {
          alpha[i] = Ci;
          alpha[j] = Ci - diff;
        }
      } else if (alpha[j] > Cj) {
        alpha[j] = Cj;
        alpha[i] = Cj + diff;
      }
    } else {
      let quad = 2 - 2 * Qi[j];
      if (quad <= 0) quad = TAU;
      const delta = (G[i] - G[j]) / quad;
      const sum = alpha[i] + alpha[j];
      alpha[i] -= delta;
      alpha[j] += delta;
      if (sum > Ci) {
        if (alpha[i] > Ci) {
          alpha[i] = Ci;
          alpha[j] = sum - Ci;
        }
      } else if (alpha[j] < 0) {
        alpha[j] = 0;
        alpha[i] = sum;
      }
      if (sum > Cj) {
        if (alpha[j] > Cj) {
          alpha[j] = Cj;
          alpha[i] = sum - Cj;
        }
      } else if (alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = sum;
      }
    }
    const dAi = alpha[i] - oldAi;
    const dAj = alpha[j] - oldAj;
    for (let k = 0; k < l; k++) G[k] += Qi[k] * dAi + Qj[k] * dAj;
    updateStatus(i);
    updateStatus(j);

    if (hooks.progress && iter % every === 0) await hooks.progress(iter, gap);
    if ((iter & 31) === 0 && tickDue()) await tick();
  }

  // --- rho: the mean of y_i G_i over free α, else the middle of the feasible interval (calculate_rho). ---
  let nFree = 0;
  let sumFree = 0;
  let ub = Infinity;
  let lb = -Infinity;
  for (let i = 0; i < l; i++) {
    const yG = y[i] * G[i];
    if (status[i] === 1) {
      if (y[i] < 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else if (status[i] === 0) {
      if (y[i] > 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  let obj = 0;
  for (let i = 0; i < l; i++) obj += alpha[i] * (G[i] + p[i]);
  obj /= 2;
  return { alpha, rho, obj, iterations: iter, converged, kernelRows: Q.computed };
}

/** libsvm's default iteration cap: max(10⁷, 100 l). */
export function defaultMaxIter(l: number): number {
  return Math.max(10_000_000, 100 * l);
}

import { type Random, ValidationError } from '@abc/core';

/** One train/validation split as row indices. */
export interface Fold {
  train: Uint32Array;
  validation: Uint32Array;
}

/** How a search validates each candidate. */
export type Validation = { kind: 'holdout'; fraction: number } | { kind: 'kfold'; k: number };

/**
 * Stratified splits: normals and known anomalies are split separately, so every validation part holds
 * known anomalies whenever there are at least two of them. With few known anomalies (setting 3) each
 * holdout keeps at least one in validation and at least one in training; with exactly one, it stays in
 * training and validation measures unknown-anomaly detection only (against synthetic outliers).
 */
export function makeFolds(y: Uint8Array, validation: Validation, rng: Random): Fold[] {
  const normals: number[] = [];
  const anomalies: number[] = [];
  y.forEach((v, i) => {
    (v ? anomalies : normals).push(i);
  });
  rng.shuffle(normals);
  rng.shuffle(anomalies);
  if (validation.kind === 'holdout') {
    const f = validation.fraction;
    if (!(f > 0 && f < 1)) throw new ValidationError('param', `holdout fraction must be in (0, 1), got ${f}`);
    const nv = clamp(Math.round(normals.length * f), 1, normals.length - 1);
    const av = anomalies.length < 2 ? 0 : clamp(Math.round(anomalies.length * f), 1, anomalies.length - 1);
    if (normals.length < 2)
      throw new ValidationError('labels', `a validation split needs at least 2 normal rows, got ${normals.length}`);
    return [
      {
        validation: Uint32Array.from([...normals.slice(0, nv), ...anomalies.slice(0, av)]),
        train: Uint32Array.from([...normals.slice(nv), ...anomalies.slice(av)]),
      },
    ];
  }
  const k = validation.k;
  if (!Number.isInteger(k) || k < 2) throw new ValidationError('param', `k-fold needs an integer k >= 2, got ${k}`);
  if (normals.length < k)
    throw new ValidationError('labels', `${k}-fold validation needs at least ${k} normal rows, got ${normals.length}`);
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const inFold = (i: number) => i % k === f;
    const vn = normals.filter((_, i) => inFold(i));
    // Anomalies: when fewer than k, each fold still gets one only if a copy stays in training.
    const va =
      anomalies.length >= k
        ? anomalies.filter((_, i) => inFold(i))
        : anomalies.length >= 2
          ? [anomalies[f % anomalies.length]]
          : [];
    const vset = new Set([...vn, ...va]);
    folds.push({
      validation: Uint32Array.from([...vn, ...va]),
      train: Uint32Array.from([...normals, ...anomalies].filter((i) => !vset.has(i))),
    });
  }
  return folds;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

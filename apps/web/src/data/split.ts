import { Random } from '@abc/core';

/** Row indices of the training and the held-out test part. */
export interface Split {
  train: Uint32Array;
  test: Uint32Array;
}

/**
 * A seeded split stratified by label: `testFraction` of the normal rows and of the known anomalies go to the test
 * part, every unknown anomaly goes there too (it is never trained on). Without labels all rows are both training
 * and scored rows (nothing to measure against).
 *
 * @example
 * const { train, test } = splitRows(labels, unknown, { testFraction: 0.3, seed: 0 });
 */
export function splitRows(
  labels: Uint8Array | null,
  unknown: Uint8Array,
  options: { testFraction: number; seed: number },
): Split {
  const n = unknown.length;
  if (!labels) {
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    return { train: all, test: all };
  }
  const rng = new Random(options.seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === cls && !unknown[i]) rows.push(i);
    rng.shuffle(rows);
    const nTest = Math.round(rows.length * options.testFraction);
    test.push(...rows.slice(0, nTest));
    train.push(...rows.slice(nTest));
  }
  for (let i = 0; i < n; i++) if (unknown[i]) test.push(i);
  return { train: Uint32Array.from(train.sort((a, b) => a - b)), test: Uint32Array.from(test.sort((a, b) => a - b)) };
}

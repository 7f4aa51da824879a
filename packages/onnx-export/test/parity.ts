import { expect } from 'vitest';
import { OnnxDetector, toOnnx, type OnnxBackend } from '../src/index.js';
import { maxAbs, maxRel, type Case } from './helpers.js';

export interface ParityRow {
  id: string;
  rows: number;
  scoreAbs: number;
  errorRel: number | null;
  labelMismatches: number;
  nearThreshold: number;
}

/**
 * Scores a case's rows with the exported model on one backend and with the TypeScript model, and asserts the
 * issue's tolerances: score within 1e-4 absolute, reconstruction_error within 1e-4 relative, label identical
 * away from the threshold (|score − t| > 1e-4). Returns the measured errors.
 */
export async function checkParity(c: Case, backend: OnnxBackend, batchSize?: number): Promise<ParityRow> {
  const det = await OnnxDetector.load(toOnnx(c.model), { backend, ...(batchSize ? { batchSize } : {}) });
  expect(det.activeBackend).toBe(backend);
  const out = await det.run(c.X);
  const ts = await c.model.scoreSamples(c.X);
  const tsLabel = await c.model.predict(c.X);
  const t = c.model.threshold!;
  const scoreAbs = maxAbs(out.score, ts);
  expect(scoreAbs, `${c.id} score`).toBeLessThanOrEqual(1e-4);
  let errorRel: number | null = null;
  if (c.error) {
    errorRel = maxRel(out.reconstructionError!, await c.error(c.X));
    expect(errorRel, `${c.id} reconstruction_error`).toBeLessThanOrEqual(1e-4);
  } else {
    expect(out.reconstructionError).toBeUndefined();
  }
  let labelMismatches = 0;
  let nearThreshold = 0;
  for (let i = 0; i < ts.length; i++) {
    const mismatch = Number(out.label![i]) !== tsLabel[i];
    if (Math.abs(ts[i] - t) <= 1e-4) {
      nearThreshold++;
      continue;
    }
    if (mismatch) labelMismatches++;
  }
  expect(labelMismatches, `${c.id} labels away from the threshold`).toBe(0);
  // predict of the ONNX detector itself follows the same rule as the exported label
  const p = await det.predict(c.X);
  for (let i = 0; i < p.length; i++) expect(p[i]).toBe(Number(out.label![i]));
  await det.close();
  return { id: c.id, rows: c.X.rows, scoreAbs, errorRel, labelMismatches, nearThreshold };
}

export function report(backend: string, rows: ParityRow[]): void {
  const lines = rows.map(
    (r) =>
      `  ${r.id.padEnd(22)} rows ${r.rows}  score max|Δ| ${r.scoreAbs.toExponential(2)}  error max rel ${r.errorRel === null ? '-' : r.errorRel.toExponential(2)}  label mismatches ${r.labelMismatches} (near threshold ${r.nearThreshold})`,
  );
  console.log(`[onnx-export] parity ${backend} vs TypeScript:\n${lines.join('\n')}`);
}

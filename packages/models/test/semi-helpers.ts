import { auroc, labelledSet, makeToyData, type ToyData } from '@abc/eval';
import type { Matrix } from '@abc/core';

/**
 * The 2-D toy (normals on a half circle, known anomalies on the interleaved one, unknown ones around (−3, 3)) with a
 * few labelled anomalies: every normal unlabelled (0) and `nLabelled` known anomalies spread along their arc (1).
 */
export function fewLabelled(nPerClass: number, nLabelled: number, seed: number): { X: Matrix; y: Uint8Array } {
  const train = makeToyData({ nPerClass, seed });
  const step = Math.floor(nPerClass / nLabelled);
  const few = new Float32Array(2 * nLabelled);
  for (let k = 0; k < nLabelled; k++) few.set(train.known.data.subarray(2 * step * k, 2 * step * k + 2), 2 * k);
  return labelledSet(train.normal, { data: few, rows: nLabelled, cols: 2 });
}

/** AUROC of normals against known and against unknown anomalies of a fresh toy set. */
export async function toyAurocs(
  det: { scoreSamples(X: Matrix): Promise<Float32Array> },
  test: ToyData,
): Promise<{ known: number; unknown: number }> {
  const n = await det.scoreSamples(test.normal);
  const vs = async (m: Matrix): Promise<number> => {
    const s = await det.scoreSamples(m);
    const scores = new Float32Array(n.length + s.length);
    scores.set(n);
    scores.set(s, n.length);
    return auroc(scores, new Uint8Array(scores.length).fill(1, n.length));
  };
  return { known: await vs(test.known), unknown: await vs(test.unknown) };
}

import { makeToyData } from '@abc/eval';

/** Options of {@link toySampleCsv}. */
export interface ToySampleOptions {
  /** Rows of each of the three sets (normal, known, unknown). Default 500. */
  nPerClass?: number;
  /** Seed of `@abc/eval`'s toy generator. Default 0. */
  seed?: number;
}

/**
 * The paper's 2-D toy data as CSV text with columns `x`, `y` and `kind` (`normal`, `known`, `unknown`), made by
 * `@abc/eval`'s {@link makeToyData}: the upper half-moon (normal), the interleaving lower one (known anomalies,
 * shown in training) and a cluster around (−3, 3) (unknown anomalies, held out of training).
 *
 * @example
 * const text = toySampleCsv({ nPerClass: 300 }); // 'x,y,kind\n0.97,0.12,normal\n...'
 */
export function toySampleCsv(options: ToySampleOptions = {}): string {
  const data = makeToyData({ nPerClass: options.nPerClass ?? 500, seed: options.seed ?? 0 });
  const lines = ['x,y,kind'];
  for (const kind of ['normal', 'known', 'unknown'] as const) {
    const m = data[kind];
    for (let i = 0; i < m.rows; i++) lines.push(`${m.data[2 * i].toPrecision(7)},${m.data[2 * i + 1].toPrecision(7)},${kind}`);
  }
  return `${lines.join('\n')}\n`;
}

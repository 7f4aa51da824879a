import type { Series } from './charts.js';

/** Colours and names of the loss series the chart knows; others get the fallback colour and their key. */
const STYLE: Record<string, { color: string; name: string }> = {
  lossNormal: { color: '#1f77b4', name: 'normal loss' },
  lossAnomaly: { color: '#ff7f0e', name: 'anomaly loss' },
  loss: { color: '#2ca02c', name: 'loss' },
  valLoss: { color: '#9467bd', name: 'validation loss' },
};

/**
 * The metrics each detector reported per epoch / tree / iteration during one training run, and the series the
 * loss chart draws for any one of them: ABC's normal and anomaly losses (the paper's Figure 5), else `loss` and
 * `valLoss` where reported, else the first metric.
 *
 * @example
 * const h = new LossHistory();
 * h.add('abc', 1, { lossNormal: 0.7, lossAnomaly: 0.9 });
 * h.series('abc').map((s) => s.name); // ['abc: normal loss', 'abc: anomaly loss']
 */
export class LossHistory {
  private readonly byDetector = new Map<string, Map<string, [number, number][]>>();

  /** Starts (or restarts) a detector's history. */
  start(detector: string): void {
    this.byDetector.set(detector, new Map());
  }

  /** Records one step's metrics. */
  add(detector: string, step: number, metrics: Readonly<Record<string, number>>): void {
    let h = this.byDetector.get(detector);
    if (!h) {
      h = new Map();
      this.byDetector.set(detector, h);
    }
    for (const [k, v] of Object.entries(metrics)) {
      let points = h.get(k);
      if (!points) {
        points = [];
        h.set(k, points);
      }
      points.push([step, v]);
    }
  }

  /** The detectors with a history, in the order they started. */
  detectors(): string[] {
    return [...this.byDetector.keys()];
  }

  /** The series the chart draws for a detector (empty when it reported no metric). */
  series(detector: string): Series[] {
    const h = this.byDetector.get(detector);
    if (!h || h.size === 0) return [];
    const keys =
      h.has('lossNormal') && h.has('lossAnomaly')
        ? ['lossNormal', 'lossAnomaly']
        : h.has('loss')
          ? ['loss', 'valLoss'].filter((k) => h.has(k))
          : [[...h.keys()][0]];
    return keys.map((k) => ({
      name: `${detector}: ${STYLE[k]?.name ?? k}`,
      color: STYLE[k]?.color ?? '#8c564b',
      points: h.get(k)!,
    }));
  }
}

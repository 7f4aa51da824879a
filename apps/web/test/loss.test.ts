import { describe, expect, it } from 'vitest';
import { LossHistory } from '../src/ui/loss.js';

describe('LossHistory', () => {
  it("keeps each detector's series apart and picks what the chart draws", () => {
    const h = new LossHistory();
    h.start('abc');
    h.add('abc', 1, { loss: 0.9, lossNormal: 0.7, lossAnomaly: 1.2, valLoss: 1 });
    h.add('abc', 2, { loss: 0.8, lossNormal: 0.6, lossAnomaly: 1.1, valLoss: 0.9 });
    h.start('gtb');
    h.add('gtb', 1, { loss: 0.5, leaves: 31 });
    h.start('iforest');
    h.add('iforest', 1, {});
    h.start('svm');
    h.add('svm', 1, { violation: 0.3 });
    expect(h.detectors()).toEqual(['abc', 'gtb', 'iforest', 'svm']);
    const abc = h.series('abc');
    expect(abc.map((s) => s.name)).toEqual(['abc: normal loss', 'abc: anomaly loss']);
    expect(abc[1].points).toEqual([
      [1, 1.2],
      [2, 1.1],
    ]);
    expect(h.series('gtb').map((s) => [s.name, s.points.length])).toEqual([['gtb: loss', 1]]);
    expect(h.series('iforest')).toEqual([]);
    expect(h.series('svm').map((s) => s.name)).toEqual(['svm: violation']);
    expect(h.series('none')).toEqual([]);
    h.start('abc');
    expect(h.series('abc')).toEqual([]);
  });
});

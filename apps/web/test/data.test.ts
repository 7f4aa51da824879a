import { ValidationError } from '@abc/core';
import { parseCsv } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { buildDataset } from '../src/data/dataset.js';
import { previewCsv } from '../src/data/inspect.js';
import { toySampleCsv } from '../src/data/sample.js';
import { splitRows } from '../src/data/split.js';
import { precisionRecallAt, rocCurve } from '../src/eval/metrics.js';
import { fmtCount } from '../src/ui/dom.js';

const choice = { label: null, kind: 'kind', roles: {}, features: ['x', 'y'] };

describe('data', () => {
  it('reads the toy sample: kinds become labels, unknown rows are held out of training', () => {
    const text = toySampleCsv({ nPerClass: 50 });
    expect(previewCsv(text, 't.csv').columns.map((c) => [c.name, c.type])).toEqual([
      ['x', 'number'],
      ['y', 'number'],
      ['kind', 'string'],
    ]);
    const ds = buildDataset(text, 't.csv', choice);
    expect(ds.X.rows).toBe(150);
    expect(Array.from(ds.labels!.slice(48, 52))).toEqual([0, 0, 1, 1]);
    const split = splitRows(ds.labels, ds.unknown, { testFraction: 0.3, seed: 0 });
    expect(Array.from(split.train).some((i) => ds.unknown[i] === 1)).toBe(false);
    expect(split.test.length).toBe(15 + 15 + 50);
  });

  it("raises the library's own errors", () => {
    expect(() => previewCsv('', 'e.csv')).toThrow(ValidationError);
    expect(() => buildDataset('x,city\n1,paris\n', 'c.csv', { ...choice, kind: null, features: ['x', 'city'] })).toThrow(
      'column "city" holds strings; encode it first (OneHotEncoder)',
    );
    const bad = 'x,label\n1,0\n2,2\n';
    let message = '';
    try {
      parseCsv(bad, { name: 'l.csv', label: 'label' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(() => buildDataset(bad, 'l.csv', { ...choice, kind: null, label: 'label', features: ['x'] })).toThrow(message);
  });

  it('computes ROC points and precision/recall at a threshold', () => {
    expect(rocCurve([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0, tpr: 1 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
    expect(precisionRecallAt([0.9, 0.8, 0.1, 0.6], [1, 0, 0, 1], 0.5)).toEqual({ precision: 2 / 3, recall: 1, flagged: 3 });
  });

  it('writes row counts with thousands separators', () => {
    expect([0, 999, 1000, 100000, 1234567, -4200].map(fmtCount)).toEqual(['0', '999', '1,000', '100,000', '1,234,567', '-4,200']);
  });
});

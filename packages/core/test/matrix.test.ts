import { describe, expect, it } from 'vitest';
import {
  matrix,
  takeColumns,
  takeRows,
  toMatrix,
  toRows,
  validateLabels,
  validateMatrix,
  ValidationError,
  vstack,
  countLabels,
} from '../src/index.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).reason;
  }
  throw new Error('did not throw');
}

describe('Matrix', () => {
  it('converts number[][] row-major to float32', () => {
    const X = toMatrix([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(X.rows).toBe(2);
    expect(X.cols).toBe(3);
    expect(X.data).toBeInstanceOf(Float32Array);
    expect(Array.from(X.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toRows(X)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('names ragged rows, non-numbers and non-arrays', () => {
    expect(reason(() => toMatrix([[1, 2], [3]]))).toBe('ragged');
    expect(() => toMatrix([[1, 2], [3]])).toThrow(/row 1 has 1 values but row 0 has 2/);
    expect(reason(() => toMatrix([[1, '2' as unknown as number]]))).toBe('type');
    expect(() => toMatrix([[1, '2' as unknown as number]])).toThrow(/row 0, column 1 is "2"/);
    expect(reason(() => toMatrix(5 as never))).toBe('type');
    expect(reason(() => toMatrix([1, 2] as never))).toBe('type');
  });

  it('checks the buffer size and feature names', () => {
    expect(reason(() => matrix(new Float32Array(5), 2, 3))).toBe('shape');
    expect(reason(() => matrix(new Float32Array(6), 2, 3, ['a']))).toBe('feature-names');
    expect(reason(() => toMatrix({ data: new Float32Array(3), rows: 2, cols: 2 }))).toBe('shape');
  });

  it('takes rows and columns, stacks, keeps names', () => {
    const X = matrix(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 2, ['a', 'b']);
    expect(toRows(takeRows(X, [2, 0]))).toEqual([
      [5, 6],
      [1, 2],
    ]);
    const c = takeColumns(X, [1]);
    expect(c.featureNames).toEqual(['b']);
    expect(Array.from(c.data)).toEqual([2, 4, 6]);
    expect(vstack([X, X]).rows).toBe(6);
    expect(reason(() => vstack([X, c]))).toBe('shape');
    expect(() => takeRows(X, [3])).toThrow(RangeError);
  });
});

describe('validation at the door', () => {
  it('rejects empty input, NaN and Infinity with the position', () => {
    expect(reason(() => validateMatrix([]))).toBe('empty');
    expect(reason(() => validateMatrix([[], []]))).toBe('empty');
    expect(reason(() => validateMatrix([[1, NaN]]))).toBe('non-finite');
    expect(() =>
      validateMatrix([
        [1, 2],
        [3, Infinity],
      ]),
    ).toThrow(/row 1, column 1/);
    expect(reason(() => validateMatrix([[-Infinity]]))).toBe('non-finite');
  });

  it('allows NaN only when asked, never Infinity', () => {
    expect(validateMatrix([[1, NaN]], { allowMissing: true }).cols).toBe(2);
    expect(reason(() => validateMatrix([[1, Infinity]], { allowMissing: true }))).toBe('non-finite');
  });

  it('names a non-finite feature by name', () => {
    const X = matrix(Float32Array.from([1, NaN]), 1, 2, ['bytes', 'duration']);
    expect(() => validateMatrix(X)).toThrow(/"duration"/);
  });

  it('checks labels: values, length, presence', () => {
    expect(Array.from(validateLabels([0, 1, true, false], 4))).toEqual([0, 1, 1, 0]);
    expect(reason(() => validateLabels([0, 2], 2))).toBe('labels');
    expect(() => validateLabels([0, -1], 2)).toThrow(/y\[1\] is -1/);
    expect(reason(() => validateLabels([0, 0.5], 2))).toBe('labels');
    expect(reason(() => validateLabels([0, 1], 3))).toBe('label-length');
    expect(reason(() => validateLabels(undefined, 3))).toBe('labels');
    expect(reason(() => validateLabels('01' as never, 2))).toBe('type');
    expect(countLabels(Uint8Array.from([0, 1, 1]))).toEqual({ normal: 1, anomaly: 2 });
  });
});

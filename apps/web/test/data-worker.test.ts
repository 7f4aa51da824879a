import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { matrixForModel } from '../src/data/columns.js';
import { buildDataset, tagOf } from '../src/data/dataset.js';
import { datasetFromMessage, datasetToMessage, errorFromMessage, errorToMessage } from '../src/data/message.js';
import { toySampleCsv } from '../src/data/sample.js';

describe("the data worker's messages", () => {
  it('carry a dataset as transferable typed arrays and small string lists', () => {
    const ds = buildDataset(new TextEncoder().encode(toySampleCsv({ nPerClass: 20 })), 't.csv', {
      label: null,
      kind: 'kind',
      roles: {},
      features: ['x', 'y'],
    });
    const { message, transfer } = datasetToMessage(ds);
    expect(transfer).toHaveLength(4);
    for (const b of transfer) expect(b).toBeInstanceOf(ArrayBuffer);
    expect(message.tagNames).toEqual(['normal', 'known', 'unknown']);
    // structuredClone with the transfer list is what postMessage does: the buffers move, the page gets the same data.
    const before = Float32Array.from(ds.X.data);
    const back = datasetFromMessage(structuredClone(message, { transfer }));
    expect(ds.X.data.length).toBe(0); // moved, not copied
    expect(Array.from(back.X.data)).toEqual(Array.from(before));
    expect(back.X.featureNames).toEqual(['x', 'y']);
    expect([tagOf(back, 0), tagOf(back, 25), tagOf(back, 59)]).toEqual(['normal', 'known', 'unknown']);
    expect(Array.from(back.labels!.slice(18, 22))).toEqual([0, 0, 1, 1]);
    expect(back.unknown.reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('rebuild typed errors with their message', () => {
    let thrown: unknown;
    try {
      buildDataset('x,city\n1,paris\n', 'c.csv', { label: null, kind: null, roles: {}, features: ['x', 'city'] });
    } catch (e) {
      thrown = e;
    }
    const again = errorFromMessage(structuredClone(errorToMessage(thrown)));
    expect(again).toBeInstanceOf(ValidationError);
    expect((again as ValidationError).reason).toBe((thrown as ValidationError).reason);
    expect(again.message).toBe((thrown as Error).message);
    const other = errorFromMessage(errorToMessage(new RangeError('too big')));
    expect([other.name, other.message]).toEqual(['RangeError', 'too big']);
  });

  it("pick a scored file's columns by the model's feature names, as the command line does", () => {
    const X = matrixForModel('kind,y,x\nnormal,2,1\nknown,4,3\n', 's.csv', ['x', 'y'], 2);
    expect([X.rows, X.cols, Array.from(X.data)]).toEqual([2, 2, [1, 2, 3, 4]]);
    expect(X.featureNames).toEqual(['x', 'y']);
    expect(Array.from(matrixForModel('a,b,c\n1,2,3\n', 'n.csv', null, 2).data)).toEqual([1, 2]);
    expect(() => matrixForModel('x,z\n1,2\n', 'm.csv', ['x', 'y'], 2)).toThrow(
      'm.csv: column "y" that the model was fitted on is missing; the header has "x", "z"',
    );
  });
});

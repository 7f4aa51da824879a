import { getDetectorEntry, parseParamText, ValidationError } from '@abc/core';
import { registerBaselines } from '@abc/baselines';
import { registerModels } from '@abc/models';
import { describe, expect, it } from 'vitest';
import { detectorParams } from '../src/train/detectors.js';
import { PAGE_PARAM_KEYS, pageParamKeys, paramText, parsePageParams } from '../src/train/params.js';

registerModels();
registerBaselines();
const space = (name: string) => getDetectorEntry(name).paramSpace;

describe('the page parameters', () => {
  it('offers epochs, layers and learning rate for networks, trees for tree models, k for knn / lof', () => {
    expect(pageParamKeys(space('abc'))).toEqual(['maxEpochs', 'hidden', 'latent', 'lr', 'batchSize']);
    expect(pageParamKeys(space('deepsad'))).toEqual(['epochs', 'hidden', 'lr', 'batchSize']);
    expect(pageParamKeys(space('iforest'))).toEqual(['nEstimators']);
    expect(pageParamKeys(space('gtb'))).toEqual(['maxIter', 'learningRate']);
    expect(pageParamKeys(space('knn'))).toEqual(['nNeighbors']);
    expect(pageParamKeys(space('lof'))).toEqual(['nNeighbors']);
    expect(pageParamKeys(space('ecod'))).toEqual([]);
    // Every key offered is declared by at least one registered detector.
    for (const k of PAGE_PARAM_KEYS) expect(['abc', 'deepsad', 'iforest', 'gtb', 'knn'].some((n) => k in space(n))).toBe(true);
  });

  it('reads typed text with the command line parser: same values, same errors', () => {
    expect(parsePageParams('abc', space('abc'), { hidden: '8, 4', lr: '5e-3', maxEpochs: '30', latent: ' ' })).toEqual({
      hidden: [8, 4],
      lr: 0.005,
      maxEpochs: 30,
    });
    for (const [name, key, text] of [
      ['abc', 'lr', '-1'],
      ['abc', 'lr', 'fast'],
      ['abc', 'hidden', '8,,4'],
      ['abc', 'maxEpochs', '0'],
      ['iforest', 'nEstimators', '2.5'],
      ['knn', 'nNeighbors', '0'],
    ] as const) {
      let cli = '';
      try {
        parseParamText(space(name), `${key}=${text}`, name);
      } catch (e) {
        cli = (e as Error).message;
      }
      expect(cli).toMatch(new RegExp(`^${name}: parameter "${key}" must be`));
      expect(() => parsePageParams(name, space(name), { [key]: text })).toThrow(ValidationError);
      expect(() => parsePageParams(name, space(name), { [key]: text })).toThrow(cli);
    }
  });

  it('shows defaults as the command line writes them, with the page defaults for two features', () => {
    const p = detectorParams(getDetectorEntry('abc'), { epochs: 40, seed: 0, cols: 2 });
    expect(paramText(p.hidden)).toBe('10,10');
    expect(paramText(p.maxEpochs)).toBe('40');
    expect(paramText(space('abc').lr.default)).toBe('0.001');
    expect(paramText(null)).toBe('null');
  });
});

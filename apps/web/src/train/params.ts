import { parseParamText, type ParamSpace, type Params, type ParamValue } from '@abc/core';

/**
 * The parameters the page offers for each detector, where the detector declares them: the epoch budget,
 * layer sizes, learning rate and batch size of the networks, the number of trees or boosting iterations of the
 * tree models, and the neighbour count of knn / lof. Every other parameter keeps its default.
 */
export const PAGE_PARAM_KEYS = [
  'maxEpochs',
  'epochs',
  'hidden',
  'latent',
  'lr',
  'batchSize',
  'nEstimators',
  'maxIter',
  'learningRate',
  'nNeighbors',
] as const;

/**
 * The keys of {@link PAGE_PARAM_KEYS} a detector's parameter space declares, in that order.
 *
 * @example
 * pageParamKeys(getDetectorEntry('knn').paramSpace); // ['nNeighbors']
 */
export function pageParamKeys(space: ParamSpace): string[] {
  return PAGE_PARAM_KEYS.filter((k) => Object.hasOwn(space, k));
}

/**
 * A value as the command line's `--param key=value` writes it (lists joined with commas, `null` for unset).
 *
 * @example
 * paramText([10, 10]); // '10,10'
 */
export function paramText(value: ParamValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Reads the page's texts for one detector's parameters with the command line's parser (core's
 * `parseParamText`, as `abc fit --param key=value` does), so a bad value raises the same `ValidationError` with
 * the same message as the CLI. Empty texts are left out (the detector's page default applies).
 *
 * @example
 * parsePageParams('abc', space, { lr: '0.01', hidden: '8,4', latent: '' }); // { lr: 0.01, hidden: [8, 4] }
 * parsePageParams('abc', space, { lr: '-1' }); // throws ValidationError 'abc: parameter "lr" must be > 0, got -1'
 */
export function parsePageParams(name: string, space: ParamSpace, texts: Readonly<Record<string, string>>): Params {
  const out: Params = {};
  for (const [key, text] of Object.entries(texts)) {
    if (text.trim() === '') continue;
    const [k, v] = parseParamText(space, `${key}=${text}`, name);
    out[k] = v;
  }
  return out;
}

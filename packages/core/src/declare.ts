/**
 * A detector declares itself once, on its class: its registry name, supervision, whether it gives a probability,
 * whether it learns without anomalies, which parameter is its training budget, small parameters for quick tests,
 * and its typed parameter space. The registry entry, the model search (candidates, the halving budget), the
 * protocols' extra methods and the conformance sweep all read this one declaration.
 */
import type { DetectorDeclaration } from './detector.js';
import { ValidationError } from './errors.js';
import { resolveParams, type ParamSpace, type ParamsOf } from './params.js';

const NAME = /^[a-z][a-z0-9_-]*$/;

/**
 * Checks and returns a detector's declaration (keeping its literal types): a valid name, a budget that is an
 * integer parameter of the space, quick parameters the space accepts.
 *
 * @example
 * const space = withCommonParams(defineParams({ k: { type: 'int', default: 5, min: 1, description: 'neighbours' } }));
 * class MeanDistance extends BaseDetector<ParamsOf<typeof space>, Model> {
 *   static readonly declaration = declareDetector({
 *     name: 'mean-distance', supervision: 'unsupervised', hasProbability: false, learnsWithoutAnomalies: true,
 *     description: 'distance to the training mean', budget: null, quickParams: {}, paramSpace: space,
 *   });
 *   constructor(params?: Partial<ParamsOf<typeof space>>) { super(MeanDistance.declaration, params); }
 *   // fitModel, scoreModel, getModelState, modelFromState ...
 * }
 */
export function declareDetector<const S extends ParamSpace>(declaration: DetectorDeclaration<S>): DetectorDeclaration<S> {
  const { name, budget, paramSpace, quickParams } = declaration;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError(
      'param',
      `declareDetector: name must be lowercase letters, digits, "-" or "_", got "${String(name)}"`,
    );
  }
  if (declaration.supervision === 'unsupervised' && !declaration.learnsWithoutAnomalies) {
    throw new ValidationError(
      'param',
      `declareDetector(${name}): an unsupervised detector learns without anomalies by definition`,
    );
  }
  if (budget !== null) {
    const spec = paramSpace[budget];
    if (spec?.type !== 'int')
      throw new ValidationError('param', `declareDetector(${name}): budget "${budget}" is not an integer parameter of its space`);
  }
  const resolved = resolveParams(paramSpace, quickParams as Record<string, unknown>, `declareDetector(${name}) quickParams`);
  const problem = declaration.checkParams?.(resolved as ParamsOf<S>);
  if (problem) throw new ValidationError('param', `declareDetector(${name}) quickParams: ${problem}`);
  return Object.freeze({ ...declaration });
}

/**
 * The declaration of a detector instance's class, if it has one.
 *
 * @example
 * declarationOf(createDetector('abc'))?.budget;   // 'maxEpochs'
 */
export function declarationOf(detector: object): DetectorDeclaration | undefined {
  const decl = (detector.constructor as { declaration?: DetectorDeclaration }).declaration;
  return decl && typeof decl === 'object' && typeof decl.name === 'string' ? decl : undefined;
}

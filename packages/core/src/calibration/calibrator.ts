import { ModelFormatError, ValidationError } from '../errors.js';
import { tensor, type JsonValue, type Tensor } from '../state.js';
import type { LabelsLike } from '../validate.js';
import { applyIsotonic, fitIsotonic, type IsotonicCalibrator } from './isotonic.js';
import { applyPlatt, fitPlatt, type PlattCalibrator } from './platt.js';
import { applyLinear, applyUnify, fitLinear, fitUnify, type LinearCalibrator, type UnifyCalibrator } from './rescale.js';

/**
 * How scores become probabilities: `platt` and `isotonic` learn from labels (a held-out labelled set);
 * `linear` and `unify` are PyOD's label-free rescalings of the training scores.
 */
export type CalibrationMethod = 'platt' | 'isotonic' | 'linear' | 'unify';

/**
 * The calibration methods, in a fixed order.
 *
 * @example
 * CALIBRATION_METHODS.includes('platt');   // true
 */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['platt', 'isotonic', 'linear', 'unify'];

/** A fitted calibrator: plain data, by method. */
export type Calibrator = PlattCalibrator | IsotonicCalibrator | LinearCalibrator | UnifyCalibrator;

/**
 * True for the methods that need labels.
 *
 * @example
 * calibrationNeedsLabels('isotonic');   // true
 * calibrationNeedsLabels('unify');      // false
 */
export function calibrationNeedsLabels(method: CalibrationMethod): boolean {
  return method === 'platt' || method === 'isotonic';
}

/**
 * Fits a calibrator of the given method on scores (and labels, 1 = anomaly, for `platt` and `isotonic`;
 * ignored by `linear` and `unify`).
 *
 * @example
 * const cal = fitCalibrator('isotonic', heldOutScores, heldOutLabels);
 * const p = calibrate(cal, testScores);   // Float64Array of p(anomaly)
 */
export function fitCalibrator(method: CalibrationMethod, scores: ArrayLike<number>, labels?: LabelsLike | null): Calibrator {
  switch (method) {
    case 'platt':
    case 'isotonic':
      if (labels === undefined || labels === null) {
        throw new ValidationError(
          'labels',
          `fitCalibrator: method "${method}" learns from labels; give labels (1 = anomaly, 0 = normal)`,
        );
      }
      return method === 'platt' ? fitPlatt(scores, labels) : fitIsotonic(scores, labels);
    case 'linear':
      return fitLinear(scores);
    case 'unify':
      return fitUnify(scores);
    default:
      throw new ValidationError(
        'param',
        `fitCalibrator: method must be one of ${CALIBRATION_METHODS.join(', ')}, got ${JSON.stringify(method)}`,
      );
  }
}

/**
 * Applies a fitted calibrator: a probability in [0, 1] for each score.
 *
 * @example
 * calibrate({ method: 'linear', min: 0, max: 4 }, [1, 2]);   // Float64Array [0.25, 0.5]
 */
export function calibrate(calibrator: Calibrator, scores: ArrayLike<number>): Float64Array {
  switch (calibrator.method) {
    case 'platt':
      return applyPlatt(calibrator, scores);
    case 'isotonic':
      return applyIsotonic(calibrator, scores);
    case 'linear':
      return applyLinear(calibrator, scores);
    case 'unify':
      return applyUnify(calibrator, scores);
  }
}

/**
 * A calibrator as persistable state: numbers in `meta`, the isotonic knots as float64 tensors `x` and `y`.
 *
 * @example
 * const { meta, tensors } = calibratorToState(cal);
 * calibratorFromState(meta, tensors);   // equal to cal
 */
export function calibratorToState(c: Calibrator): { meta: { [key: string]: JsonValue }; tensors: { [name: string]: Tensor } } {
  switch (c.method) {
    case 'platt':
      return { meta: { method: 'platt', a: c.a, b: c.b }, tensors: {} };
    case 'isotonic':
      return { meta: { method: 'isotonic' }, tensors: { x: tensor(Float64Array.from(c.x)), y: tensor(Float64Array.from(c.y)) } };
    case 'linear':
      return { meta: { method: 'linear', min: c.min, max: c.max }, tensors: {} };
    case 'unify':
      return { meta: { method: 'unify', mean: c.mean, std: c.std }, tensors: {} };
  }
}

/**
 * Reads a calibrator back from {@link calibratorToState}'s output; anything malformed (a missing number,
 * knots that are not increasing, probabilities outside [0, 1]) is a {@link ModelFormatError}.
 *
 * @example
 * const cal = calibratorFromState({ method: 'platt', a: -3, b: 1 }, {});
 */
export function calibratorFromState(meta: JsonValue, tensors: { [name: string]: Tensor }): Calibrator {
  const bad = (what: string): never => {
    throw new ModelFormatError(`calibrator state is invalid: ${what}`);
  };
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return bad('not an object');
  const num = (key: string): number => {
    const v = meta[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : bad(`"${key}" is not a finite number`);
  };
  switch (meta.method) {
    case 'platt':
      return { method: 'platt', a: num('a'), b: num('b') };
    case 'linear': {
      const min = num('min');
      const max = num('max');
      if (!(max >= min)) bad('max < min');
      return { method: 'linear', min, max };
    }
    case 'unify': {
      const std = num('std');
      if (!(std >= 0)) bad('std < 0');
      return { method: 'unify', mean: num('mean'), std };
    }
    case 'isotonic': {
      const get = (name: string): Float64Array => {
        const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
        return t && t.data instanceof Float64Array && t.shape.length === 1
          ? t.data
          : bad(`tensor "${name}" is not a float64 vector`);
      };
      const x = get('x');
      const y = get('y');
      if (x.length === 0 || x.length !== y.length) bad(`knot vectors of lengths ${x.length} and ${y.length}`);
      for (let i = 0; i < x.length; i++) {
        if (!Number.isFinite(x[i]) || (i > 0 && !(x[i] > x[i - 1]))) bad('knots are not finite and increasing');
        if (!(y[i] >= 0 && y[i] <= 1) || (i > 0 && y[i] < y[i - 1])) bad('knot values are not non-decreasing in [0, 1]');
      }
      return { method: 'isotonic', x, y };
    }
    default:
      return bad(`unknown method ${JSON.stringify(meta.method)}`);
  }
}

import { ValidationError } from './errors.js';
import { describe } from './matrix.js';

/** A parameter value: what `getParams()` returns and what a model file stores (plain JSON). */
export type ParamValue = number | string | boolean | null | readonly number[];

/** A detector's or transformer's parameters. */
export type Params = { [name: string]: ParamValue };

interface SpecBase {
  description: string;
  /** `null` is an accepted value (meaning "not set"). */
  nullable?: boolean;
}

/** Declares one parameter: its type, default, valid range and (for model search) the range worth searching. */
export type ParamSpec =
  | (SpecBase & {
      type: 'int' | 'float';
      default: number | null;
      min?: number;
      max?: number;
      /** Exclusive bounds, for values such as a learning rate that must be > 0. */
      exclusiveMin?: boolean;
      exclusiveMax?: boolean;
      /** The range a model search samples, with `log` for scale-like parameters. */
      search?: { low: number; high: number; log?: boolean };
    })
  | (SpecBase & { type: 'choice'; default: string | null; choices: readonly string[]; search?: { choices: readonly string[] } })
  | (SpecBase & { type: 'bool'; default: boolean | null; search?: { choices: readonly boolean[] } })
  | (SpecBase & {
      type: 'intList';
      default: readonly number[] | null;
      min?: number;
      search?: { choices: readonly (readonly number[])[] };
    });

/** All parameters of one detector or transformer. */
export type ParamSpace = { [name: string]: ParamSpec };

/** The value type one spec declares: numbers, one of the choices, booleans, integer lists (null where nullable). */
export type ParamValueOf<S extends ParamSpec> =
  | (S extends { type: 'int' | 'float' }
      ? number
      : S extends { type: 'choice'; choices: readonly (infer C)[] }
        ? C
        : S extends { type: 'bool' }
          ? boolean
          : S extends { type: 'intList' }
            ? number[]
            : never)
  | (S extends { nullable: true } ? null : never);

/**
 * The params type a space declares, derived from it, so each detector states its parameters once.
 *
 * @example
 * const space = defineParams({ k: { type: 'int', default: 5, min: 1, description: 'neighbours' } });
 * type KParams = ParamsOf<typeof space>;   // { k: number }
 */
export type ParamsOf<S extends ParamSpace> = { -readonly [K in keyof S]: ParamValueOf<S[K]> };

/**
 * Declares a parameter space, keeping its literal types (choices, nullability) so {@link ParamsOf} can derive the
 * params type from it; checks that every default is valid for its own spec.
 *
 * @example
 * export const knnSpace = defineParams({
 *   k: { type: 'int', default: 5, min: 1, description: 'neighbours', search: { low: 1, high: 50, log: true } },
 *   method: { type: 'choice', default: 'largest', choices: ['largest', 'mean', 'median'], description: 'distance summary' },
 * });
 */
export function defineParams<const S extends ParamSpace>(space: S): S {
  for (const [key, spec] of Object.entries(space)) {
    if (spec.default !== null) checkParam(space, key, spec.default, 'defineParams');
    else if (!spec.nullable)
      throw new ValidationError('param', `defineParams: parameter "${key}" defaults to null but is not nullable`);
  }
  return space;
}

/** Parameters every detector has: the seed and the threshold rule (see `Detector.predict`). */
export const commonDetectorParams = defineParams({
  seed: { type: 'int', default: 0, min: 0, description: 'seed of every random choice (init, shuffling, noise, splits)' },
  threshold: {
    type: 'float',
    default: null,
    nullable: true,
    description: 'fixed score threshold for predict (score > threshold is an anomaly); wins over contamination',
  },
  contamination: {
    type: 'float',
    default: null,
    nullable: true,
    min: 0,
    max: 0.5,
    exclusiveMin: true,
    description:
      'expected share of anomalies: the threshold becomes this upper quantile of the training scores (default 0.1 for detectors without a probability)',
  },
});

/**
 * A detector's full space: the common parameters (`seed`, `threshold`, `contamination`) and its own, typed.
 *
 * @example
 * const space = withCommonParams(defineParams({ k: { type: 'int', default: 5, min: 1, description: 'neighbours' } }));
 * type P = ParamsOf<typeof space>;   // { seed: number; threshold: number | null; contamination: number | null; k: number }
 */
export function withCommonParams<const S extends ParamSpace>(space: S): typeof commonDetectorParams & S {
  return { ...commonDetectorParams, ...space };
}

/** The defaults of a parameter space. */
export function defaultParams(space: ParamSpace): Params {
  const out: Params = {};
  for (const [key, spec] of Object.entries(space)) out[key] = copyValue(spec.default);
  return out;
}

/**
 * Fills defaults and checks every given parameter against the space: unknown names, wrong types and
 * out-of-range values raise a {@link ValidationError} that names the parameter, the expected and the found value.
 */
export function resolveParams(space: ParamSpace, given: Record<string, unknown> | undefined, who: string): Params {
  const out = defaultParams(space);
  if (given === undefined || given === null) return out;
  if (typeof given !== 'object') throw new ValidationError('param', `${who}: params must be an object, got ${describe(given)}`);
  for (const key of Object.keys(given)) {
    const value = (given as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out[key] = checkParam(space, key, value, who);
  }
  return out;
}

/** Checks one parameter value against its spec and returns it (copied when it is a list). */
export function checkParam(space: ParamSpace, key: string, value: unknown, who: string): ParamValue {
  if (!Object.hasOwn(space, key)) {
    throw new ValidationError('param', `${who}: unknown parameter "${key}"; known parameters: ${Object.keys(space).join(', ')}`);
  }
  const spec = space[key];
  const bad = (expected: string): never => {
    throw new ValidationError('param', `${who}: parameter "${key}" must be ${expected}, got ${describe(value)}`);
  };
  if (value === null) {
    if (spec.nullable) return null;
    return bad(`set (it has no "unset" value)`);
  }
  switch (spec.type) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad('a finite number');
      const v = value as number;
      if (spec.type === 'int' && !Number.isInteger(v)) return bad('an integer');
      checkRange(v, spec, bad);
      return v;
    }
    case 'choice':
      if (typeof value !== 'string' || !spec.choices.includes(value))
        return bad(`one of ${spec.choices.map((c) => `"${c}"`).join(', ')}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') return bad('true or false');
      return value;
    case 'intList': {
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return bad('a list of integers');
      const list = Array.from(value as ArrayLike<unknown>);
      for (const v of list) {
        if (typeof v !== 'number' || !Number.isInteger(v)) return bad('a list of integers');
        if (spec.min !== undefined && v < spec.min) return bad(`a list of integers >= ${spec.min}`);
      }
      return list as number[];
    }
  }
}

function checkRange(
  v: number,
  spec: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean },
  bad: (expected: string) => never,
): void {
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
    bad(`${spec.exclusiveMin ? '>' : '>='} ${spec.min}`);
  }
  if (spec.max !== undefined && (spec.exclusiveMax ? v >= spec.max : v > spec.max)) {
    bad(`${spec.exclusiveMax ? '<' : '<='} ${spec.max}`);
  }
}

/**
 * Parses a command-line `key=value` text into a typed parameter value following the space
 * (`hidden=300,100`, `variant=dae`, `lr=1e-3`, `threshold=null`).
 *
 * @example
 * parseParamText(space, 'hidden=300,100', 'abc') // -> ['hidden', [300, 100]]
 */
export function parseParamText(space: ParamSpace, text: string, who: string): [string, ParamValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ValidationError('param', `${who}: --param expects key=value, got "${text}"`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!Object.hasOwn(space, key)) {
    throw new ValidationError('param', `${who}: unknown parameter "${key}"; known parameters: ${Object.keys(space).join(', ')}`);
  }
  const spec = space[key];
  let value: unknown = raw;
  if (raw === 'null' || raw === 'none') value = null;
  else if (spec.type === 'int' || spec.type === 'float') value = raw === '' ? NaN : Number(raw);
  else if (spec.type === 'bool') value = raw === 'true' ? true : raw === 'false' ? false : raw;
  else if (spec.type === 'intList') value = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  return [key, checkParam(space, key, value, who)];
}

function copyValue(v: ParamValue): ParamValue {
  return Array.isArray(v) ? [...v] : v;
}

/** A deep copy of params (lists copied), so callers cannot mutate a detector's params from outside. */
export function copyParams<P extends Params>(p: P): P {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) out[k] = copyValue(v);
  return out as P;
}

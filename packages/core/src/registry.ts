import type { DetectorClass } from './detector.js';
import type { Detector, Supervision } from './detector.js';
import { UnknownDetectorError, ValidationError } from './errors.js';
import type { ParamSpace, Params } from './params.js';
import type { Transformer } from './transformer.js';

/**
 * One registered detector. The CLI, model search, persistence and the eval protocols find detectors only
 * through these entries, so a third-party plugin that registers one is usable everywhere. A detector class
 * that declares itself (`static declaration`, see `declareDetector`) registers with
 * {@link registerDetectorClass}, which builds the entry from its declaration.
 *
 * @example
 * registerDetectorClass(MeanDistance);              // from its static declaration
 * const det = createDetector('mean-distance', { seed: 3 });
 */
export interface DetectorEntry {
  name: string;
  supervision: Supervision;
  hasProbability: boolean;
  description: string;
  /** Every parameter with its type, default, range and search range. */
  paramSpace: ParamSpace;
  /** A new unfitted detector; unknown or invalid params raise a ValidationError. */
  create(params?: Params): Detector;
  /**
   * Fits on labels with no anomaly (default: true for unsupervised entries, false for supervised ones). See
   * `DetectorDeclaration.learnsWithoutAnomalies`.
   */
  learnsWithoutAnomalies?: boolean;
  /** The training-budget parameter successive halving scales, or null (default null: fitted once at full cost). */
  budget?: string | null;
  /** Small parameters for quick tests and the conformance sweep (default: none, the defaults). */
  quickParams?: Params;
}

/**
 * The registry entry a self-declaring detector class gives (its declaration, and `create` = its constructor).
 *
 * @example
 * const entry = detectorEntry(ABC);   // { name: 'abc', supervision: 'supervised', budget: 'maxEpochs', ... }
 */
export function detectorEntry(cls: DetectorClass): DetectorEntry {
  const d = cls.declaration;
  return {
    name: d.name,
    supervision: d.supervision,
    hasProbability: d.hasProbability,
    description: d.description,
    paramSpace: d.paramSpace,
    learnsWithoutAnomalies: d.learnsWithoutAnomalies,
    budget: d.budget,
    quickParams: d.quickParams as Params,
    create: (params) => new cls(params),
  };
}

/**
 * Registers a self-declaring detector class under its declared name (one line per detector). Idempotent with
 * `ifAbsent` (for packages that register on import).
 *
 * @example
 * registerDetectorClass(MeanDistance);
 */
export function registerDetectorClass(cls: DetectorClass, options: RegisterOptions & { ifAbsent?: boolean } = {}): void {
  if (options.ifAbsent && detectors.has(cls.declaration.name)) return;
  registerDetector(detectorEntry(cls), options);
}

/**
 * Whether an entry's detector learns from training labels that hold no anomaly (its declaration, else: only
 * unsupervised ones).
 *
 * @example
 * learnsWithoutAnomalies(getDetectorEntry('abc'));   // true
 */
export function learnsWithoutAnomalies(entry: DetectorEntry): boolean {
  return entry.learnsWithoutAnomalies ?? entry.supervision === 'unsupervised';
}

/** One registered transformer (scalers, encoders, imputers). */
export interface TransformerEntry {
  name: string;
  description: string;
  paramSpace: ParamSpace;
  create(params?: Params): Transformer;
}

const detectors = new Map<string, DetectorEntry>();
const transformers = new Map<string, TransformerEntry>();
const NAME = /^[a-z][a-z0-9_-]*$/;

export interface RegisterOptions {
  /** Replace an entry of the same name instead of raising. */
  replace?: boolean;
}

/** Registers a detector under a lowercase name; a second registration of a name raises unless `replace`. */
export function registerDetector(entry: DetectorEntry, options: RegisterOptions = {}): void {
  checkName(entry.name, detectors, options, 'detector');
  detectors.set(entry.name, Object.freeze({ ...entry }));
}

/** Registers a transformer under a lowercase name. */
export function registerTransformer(entry: TransformerEntry, options: RegisterOptions = {}): void {
  checkName(entry.name, transformers, options, 'transformer');
  transformers.set(entry.name, Object.freeze({ ...entry }));
}

function checkName(name: string, map: Map<string, unknown>, options: RegisterOptions, kind: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError('param', `register ${kind}: name must be lowercase letters, digits, "-" or "_", got "${name}"`);
  }
  if (map.has(name) && !options.replace) {
    throw new ValidationError('param', `register ${kind}: "${name}" is already registered (pass { replace: true } to override)`);
  }
}

/** The entry of a registered detector; raises `UnknownDetectorError` listing the known names. */
export function getDetectorEntry(name: string): DetectorEntry {
  const entry = detectors.get(name);
  if (!entry) throw new UnknownDetectorError(name, [...detectors.keys()]);
  return entry;
}

export function getTransformerEntry(name: string): TransformerEntry {
  const entry = transformers.get(name);
  if (!entry) throw new UnknownDetectorError(name, [...transformers.keys()], 'transformer');
  return entry;
}

/** True when a detector of that name is registered. */
export function hasDetector(name: string): boolean {
  return detectors.has(name);
}

/** A new unfitted detector from its registry name and params. */
export function createDetector(name: string, params?: Params): Detector {
  return getDetectorEntry(name).create(params);
}

/** A new unfitted transformer from its registry name and params. */
export function createTransformer(name: string, params?: Params): Transformer {
  return getTransformerEntry(name).create(params);
}

/** Registered detectors in registration order, optionally only one supervision kind. */
export function listDetectors(filter: { supervision?: Supervision } = {}): DetectorEntry[] {
  return [...detectors.values()].filter((e) => !filter.supervision || e.supervision === filter.supervision);
}

export function listTransformers(): TransformerEntry[] {
  return [...transformers.values()];
}

/** Removes a detector entry (for tests and plugin reloads); returns whether one was there. */
export function unregisterDetector(name: string): boolean {
  return detectors.delete(name);
}

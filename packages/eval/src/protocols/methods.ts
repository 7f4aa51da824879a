import { getDetectorEntry, hasDetector, listDetectors, ValidationError, type DetectorEntry, type Params } from '@abc/core';

/** The paper's method ids, in Table 2's column order (firm: docs/contracts.md); `all` means these eleven. */
export const METHOD_IDS = ['abc-ae', 'abc-dae', 'lrc', 'dnn', 'svm', 'gtb', 'rusboost', 'ae', 'dae', 'ocsvm', 'iforest'] as const;

/** One of the paper's method ids. */
export type MethodId = (typeof METHOD_IDS)[number];

/**
 * Ablation methods: run only when named (never part of `all`) and shown as ablation rows of the report.
 * `abc-ae-l2` is ABC(AE) with the l2 norm the paper's text names instead of ABC's default distance (the mean
 * over attributes of the squared error, which is what reproduces the paper's numbers).
 */
export const ABLATION_METHOD_IDS = ['abc-ae-l2'] as const;

/** How a method id maps to a registered detector. */
export interface MethodSpec {
  /** The method id used in records, results and reports. */
  readonly id: string;
  /** The registry name of the detector. */
  readonly detector: string;
  /** Params given to the detector on top of the protocol's (network size, epochs, seed). */
  readonly params?: Params;
  /** The label the report shows (the paper's column name). */
  readonly label?: string;
  /** Shown as an ablation row rather than a Table 2 column. */
  readonly ablation?: boolean;
  /** What the ablation compares with (a method id), for the report. */
  readonly ablationOf?: string;
  /**
   * Keep the detector's own network (its `hidden` default) instead of the paper's 10-10 / 300-100: for methods
   * from other papers (DeepSAD, DevNet, PReNet, FeaWAD, RoSAS), whose defaults follow their own papers.
   */
  readonly ownNetwork?: boolean;
}

/** The built-in method table: the paper's eleven methods, the ablation rows and the methods of other papers. */
export const METHOD_TABLE: Readonly<Record<string, MethodSpec>> = Object.freeze({
  'abc-ae': { id: 'abc-ae', detector: 'abc', params: { variant: 'ae' }, label: 'ABC(AE)' },
  'abc-dae': { id: 'abc-dae', detector: 'abc', params: { variant: 'dae' }, label: 'ABC(DAE)' },
  lrc: { id: 'lrc', detector: 'lrc', label: 'LRC' },
  dnn: { id: 'dnn', detector: 'dnn', label: 'DNN' },
  svm: { id: 'svm', detector: 'svm', label: 'SVM' },
  gtb: { id: 'gtb', detector: 'gtb', label: 'GTB' },
  rusboost: { id: 'rusboost', detector: 'rusboost', label: 'RUSBoost' },
  ae: { id: 'ae', detector: 'ae', label: 'AE' },
  dae: { id: 'dae', detector: 'dae', label: 'DAE' },
  ocsvm: { id: 'ocsvm', detector: 'ocsvm', label: 'OCSVM' },
  iforest: { id: 'iforest', detector: 'iforest', label: 'IF' },
  'abc-ae-l2': {
    id: 'abc-ae-l2',
    detector: 'abc',
    params: { variant: 'ae', distance: 'l2' },
    label: 'ABC(AE), l2 norm',
    ablation: true,
    ablationOf: 'abc-ae',
  },
  // Methods of other papers (issue 19), run only when named: their own networks and defaults.
  deepsad: { id: 'deepsad', detector: 'deepsad', label: 'DeepSAD', ownNetwork: true },
  devnet: { id: 'devnet', detector: 'devnet', label: 'DevNet', ownNetwork: true },
  prenet: { id: 'prenet', detector: 'prenet', label: 'PReNet', ownNetwork: true },
  feawad: { id: 'feawad', detector: 'feawad', label: 'FeaWAD', ownNetwork: true },
  rosas: { id: 'rosas', detector: 'rosas', label: 'RoSAS', ownNetwork: true },
});

/**
 * The label a report shows for a method id (the paper's name where it has one).
 *
 * @example
 * methodLabel('iforest');   // 'IF'
 */
export function methodLabel(id: string, table: Readonly<Record<string, MethodSpec>> = METHOD_TABLE): string {
  return table[id]?.label ?? id;
}

/** Options of {@link resolveMethods}. */
export interface ResolveMethodsOptions {
  /** Extra or replacing method specs (a plugin's detectors under their own ids). */
  extra?: Readonly<Record<string, MethodSpec>>;
  /**
   * What to do with methods of `all` whose detector is not registered: `skip` (default) leaves them out and
   * reports them in `missing`; `error` raises. Methods named one by one always raise when missing.
   */
  missingInAll?: 'skip' | 'error';
}

/** The methods a run list resolves to, and those that are not registered. */
export interface ResolvedMethods {
  readonly methods: MethodSpec[];
  /** One message per missing method: `method dnn is not registered (no detector "dnn" in the registry)`. */
  readonly missing: string[];
}

function missingMessage(spec: MethodSpec): string {
  const known = listDetectors().map((e) => e.name);
  return `method ${spec.id} is not registered (no detector "${spec.detector}" in the registry; registered: ${known.join(', ') || '(none)'})`;
}

/**
 * Resolves a method list (`all`, or ids separated by commas) through the built-in table, `extra`, and the
 * registry: an id that is neither in the table nor `extra` but is a registered detector's name runs that
 * detector with its defaults, so a plugin's detector runs in every protocol. Duplicates are dropped.
 *
 * `all` is the paper's eleven; those whose detector is not registered are skipped and named in `missing`
 * (`method dnn is not registered …`). A method named explicitly that is not registered, or an unknown id, is
 * a {@link ValidationError} naming every such id.
 *
 * @example
 * const { methods, missing } = resolveMethods('all');
 * missing;   // e.g. ['method dnn is not registered (no detector "dnn" in the registry; …)']
 * resolveMethods('abc-ae,abc-ae-l2,iforest').methods.map((m) => m.id);   // ['abc-ae', 'abc-ae-l2', 'iforest']
 */
export function resolveMethods(list: string | readonly string[], options: ResolveMethodsOptions = {}): ResolvedMethods {
  const table: Record<string, MethodSpec> = { ...METHOD_TABLE, ...(options.extra ?? {}) };
  const items = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new ValidationError('param', 'methods: give "all" or a comma-separated list of method ids');
  const methods: MethodSpec[] = [];
  const missing: string[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (spec: MethodSpec, fromAll: boolean): void => {
    if (seen.has(spec.id)) return;
    seen.add(spec.id);
    if (!hasDetector(spec.detector)) {
      if (fromAll && options.missingInAll !== 'error') missing.push(missingMessage(spec));
      else errors.push(missingMessage(spec));
      return;
    }
    methods.push(spec);
  };
  for (const item of items) {
    if (item === 'all') {
      for (const id of METHOD_IDS) add(table[id], true);
      continue;
    }
    const spec = table[item] ?? (hasDetector(item) ? { id: item, detector: item } : undefined);
    if (!spec) {
      errors.push(
        `unknown method "${item}"; method ids: all, ${[...new Set([...METHOD_IDS, ...Object.keys(table)])].join(', ')}, or a registered detector's name (${
          listDetectors()
            .map((e) => e.name)
            .filter((n) => !(n in table))
            .join(', ') || 'none besides these'
        })`,
      );
      continue;
    }
    add(spec, false);
  }
  if (errors.length > 0) throw new ValidationError('param', errors.join('; '));
  return { methods, missing };
}

/**
 * The network of the paper for a dataset: 10-10 hidden and latent 1 for 2-D data, 300-100 and latent 20 otherwise.
 *
 * @example
 * paperNetwork(784);   // { hidden: [300, 100], latent: 20 }
 */
export function paperNetwork(nFeatures: number): { hidden: number[]; latent: number } {
  return nFeatures <= 2 ? { hidden: [10, 10], latent: 1 } : { hidden: [300, 100], latent: 20 };
}

/** Protocol settings that shape a method's params. */
export interface MethodParamOptions {
  /** The run's seed (every detector has a `seed` param). */
  seed: number;
  /** Features of the data: picks the paper's network (2-D toy data or not). */
  nFeatures: number;
  /**
   * Caps the networks' epochs: each integer param counting epochs (`maxEpochs`, `epochs`, and pre-training
   * ones such as `aeEpochs`) becomes the smaller of this and the method's own, where the detector has it.
   */
  maxEpochs?: number;
  /** Share of the training rows for early stopping (default 0.2, the paper's), where the detector has `validationFraction`. */
  validationFraction?: number;
}

/**
 * The params a method runs with under the paper's protocol: the spec's own params, then — only where the
 * detector's parameter space has them — the paper's network sizes (`hidden`: 10-10 for 2-D data, 300-100
 * otherwise, for the autoencoders and the DNN's two hidden layers; `latent` 1 or 20 for the autoencoders) and
 * the 20% validation split (`validationFraction`); then the epoch cap (each of {@link epochParams} lowered to
 * it) and the seed. A spec with `ownNetwork` keeps the detector's own `hidden` (methods of other papers).
 *
 * @example
 * methodParams(METHOD_TABLE['abc-ae'], getDetectorEntry('abc'), { seed: 3, nFeatures: 2, maxEpochs: 50 });
 * // { variant: 'ae', hidden: [10, 10], latent: 1, validationFraction: 0.2, maxEpochs: 50, seed: 3 }
 */
export function methodParams(spec: MethodSpec, entry: DetectorEntry, options: MethodParamOptions): Params {
  const space = entry.paramSpace;
  const params: Params = {};
  const net = paperNetwork(options.nFeatures);
  if ('hidden' in space && !spec.ownNetwork) params.hidden = net.hidden;
  if ('hidden' in space && 'latent' in space && !spec.ownNetwork) params.latent = net.latent;
  if ('validationFraction' in space) params.validationFraction = options.validationFraction ?? 0.2;
  Object.assign(params, spec.params ?? {});
  if (options.maxEpochs !== undefined) {
    // A cap: never more epochs than the method would train without it (the paper's 300 by default).
    for (const name of epochParams(entry)) {
      const own = typeof params[name] === 'number' ? params[name] : space[name].default;
      params[name] = typeof own === 'number' ? Math.min(own, options.maxEpochs) : options.maxEpochs;
    }
  }
  params.seed = options.seed;
  return params;
}

/**
 * The integer params of a detector that count epochs (`maxEpochs`, `epochs`, `aeEpochs`, ...): what the epoch
 * cap of {@link methodParams} lowers.
 *
 * @example
 * epochParams(getDetectorEntry('deepsad'));   // ['epochs', 'aeEpochs']
 */
export function epochParams(entry: DetectorEntry): string[] {
  return Object.entries(entry.paramSpace)
    .filter(([name, p]) => p.type === 'int' && (name === 'epochs' || /Epochs$/.test(name)))
    .map(([name]) => name);
}

/**
 * The registry entry of a method's detector (raises `method X is not registered` when missing).
 *
 * @example
 * methodEntry(METHOD_TABLE['abc-dae']).supervision;   // 'supervised'
 */
export function methodEntry(spec: MethodSpec): DetectorEntry {
  if (!hasDetector(spec.detector)) throw new ValidationError('param', missingMessage(spec));
  return getDetectorEntry(spec.detector);
}

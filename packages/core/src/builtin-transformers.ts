import { SimpleImputer, type SimpleImputerParams } from './impute.js';
import { OneHotEncoder, type OneHotEncoderParams } from './onehot.js';
import { listTransformers, registerTransformer, type TransformerEntry } from './registry.js';
import { MinMaxScaler, StandardScaler, type MinMaxScalerParams, type StandardScalerParams } from './scalers.js';

/** The registry entries of the built-in transformers: `minmax`, `standard`, `impute`, `onehot`. */
export const builtinTransformers: readonly TransformerEntry[] = Object.freeze([
  {
    name: 'minmax',
    description: 'rescales each column to [min, max] from the training extremes (scikit-learn MinMaxScaler)',
    paramSpace: MinMaxScaler.paramSpace,
    create: (params) => new MinMaxScaler(params as Partial<MinMaxScalerParams> | undefined),
  },
  {
    name: 'standard',
    description: 'centres each column and divides by its population std (scikit-learn StandardScaler)',
    paramSpace: StandardScaler.paramSpace,
    create: (params) => new StandardScaler(params as Partial<StandardScalerParams> | undefined),
  },
  {
    name: 'impute',
    description:
      'fills missing values (NaN) with a column mean, median, most frequent value or a constant (scikit-learn SimpleImputer)',
    paramSpace: SimpleImputer.paramSpace,
    create: (params) => new SimpleImputer(params as Partial<SimpleImputerParams> | undefined),
  },
  {
    name: 'onehot',
    description:
      'one-hot encodes categorical (string or code) columns and passes the others through (scikit-learn OneHotEncoder)',
    paramSpace: OneHotEncoder.paramSpace,
    create: (params) => new OneHotEncoder(params as Partial<OneHotEncoderParams> | undefined),
  },
]);

/**
 * Registers the built-in transformers under `minmax`, `standard`, `impute` and `onehot`. Idempotent: a name
 * that is already registered (by an earlier call, or replaced on purpose by a plugin) is left as it is. This
 * module calls it when it is first imported; call it yourself where a bundler may drop modules without
 * imported bindings.
 *
 * @example
 * registerBuiltinTransformers();
 * const scaler = createTransformer('minmax', { min: -1, max: 1 });
 */
export function registerBuiltinTransformers(): void {
  const present = new Set(listTransformers().map((e) => e.name));
  for (const entry of builtinTransformers) {
    if (!present.has(entry.name)) registerTransformer(entry);
  }
}

registerBuiltinTransformers();

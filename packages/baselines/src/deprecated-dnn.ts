/**
 * The DNN moved to `@abc/models` with the other neural detectors (its registry name stays `dnn`). This
 * re-export keeps `import { DNN } from '@abc/baselines'` working for one minor version; it is the only place
 * this package imports `@abc/models`, and it goes with the next minor.
 *
 * @example
 * import { DNN } from '@abc/models';   // was: '@abc/baselines'
 *
 * @module
 */
export {
  /** @deprecated Import `DNN` from `@abc/models`. */
  DNN,
  /** @deprecated Import `DNNParams` from `@abc/models`. */
  type DNNParams,
  /** @deprecated Import `DNNEpoch` from `@abc/models`. */
  type DNNEpoch,
} from '@abc/models';

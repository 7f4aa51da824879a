/**
 * `@abc/models/engine`: deprecated. The dense engine moved to its own package, `@abc/engine`; this entry
 * re-exports it for one minor version so existing imports keep working. Import from `@abc/engine` instead.
 *
 * @example
 * import { DenseNetwork, Adam } from '@abc/engine';   // was: '@abc/models/engine'
 *
 * @deprecated Use `@abc/engine`.
 * @module @abc/models/engine
 */
export * from '@abc/engine';

/**
 * Typed errors with stable codes. Every public entry point of the framework throws one of these for bad
 * input, so callers can branch on `error.code` instead of parsing messages.
 *
 * @example
 * try { await detector.scoreSamples(X); } catch (e) { if (e instanceof NotFittedError) await detector.fit(X); }
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FITTED'
  | 'MODEL_FORMAT'
  | 'BACKEND_UNAVAILABLE'
  | 'ABORTED'
  | 'UNSUPPORTED_EXPORT'
  | 'UNKNOWN_DETECTOR'
  | 'DOWNLOAD';

/** Base class of every error the framework throws on purpose. */
export class AbcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** What exactly was wrong with an input; stable strings that tests and callers may match. */
export type ValidationReason =
  | 'empty'
  | 'shape'
  | 'ragged'
  | 'non-finite'
  | 'type'
  | 'labels'
  | 'label-length'
  | 'feature-count'
  | 'feature-names'
  | 'param'
  // Reliability issue: a finite value too large for a computation (e.g. |x| > 2^64, whose square
  // overflows float32 in network training); the message names the value and suggests a scaler.
  | 'range';

/** Bad input data or parameters. `reason` says which rule was broken; the message names the argument. */
export class ValidationError extends AbcError {
  readonly reason: ValidationReason;
  constructor(reason: ValidationReason, message: string) {
    super('VALIDATION', message);
    this.reason = reason;
  }
}

/** A detector or transformer was used before `fit`. */
export class NotFittedError extends AbcError {
  constructor(what: string) {
    super('NOT_FITTED', `${what} is not fitted: call fit(X, y) first`);
  }
}

/** A model file or byte buffer that is corrupt, truncated, foreign or of a newer format version. */
export class ModelFormatError extends AbcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_FORMAT', message, options);
  }
}

/** A compute backend (kernel, execution provider) that is not available here. */
export class BackendUnavailableError extends AbcError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', message, options);
    this.backend = backend;
  }
}

/** A detector that cannot be exported to the requested format. */
export class UnsupportedExportError extends AbcError {
  constructor(message: string) {
    super('UNSUPPORTED_EXPORT', message);
  }
}

/** A registry lookup for a name nobody registered. */
export class UnknownDetectorError extends AbcError {
  constructor(name: string, known: readonly string[], kind: 'detector' | 'transformer' = 'detector') {
    super('UNKNOWN_DETECTOR', `unknown ${kind} "${name}"; registered: ${known.join(', ') || '(none)'}`);
  }
}

/**
 * Thrown when a fit is stopped through its `AbortSignal`. Its `name` is `'AbortError'`, as for the DOM's
 * abort errors, so generic `e.name === 'AbortError'` checks work too.
 */
export class AbortError extends AbcError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
    this.name = 'AbortError';
  }
}

/** Throws an {@link AbortError} if the signal has fired; call it at safe points of a long computation. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AbortError('fit was aborted', { cause: signal.reason });
  }
}

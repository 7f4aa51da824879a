/**
 * The server's typed errors: each carries the HTTP status it is answered with and a stable code. The message is
 * what the client reads in `{"error": "..."}`; it never holds a stack trace or a file path of this machine.
 */
export type ServeErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'QUEUE_FULL'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<ServeErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  QUEUE_FULL: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * An error answered as `{"error": message}` with {@link ServeError.status}.
 *
 * @example
 * throw new ServeError('NOT_FOUND', 'unknown model "fraud"');   // -> 404 {"error":"unknown model \"fraud\""}
 */
export class ServeError extends Error {
  readonly code: ServeErrorCode;
  readonly status: number;
  /** Extra response headers (Retry-After for a full queue, WWW-Authenticate for a missing token). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: ServeErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ServeError';
    this.code = code;
    this.status = STATUS[code];
    this.headers = headers;
  }
}

/** A request the protocol rejects (bad shape, datatype, feature count, non-finite values, malformed JSON): 400. */
export function badRequest(message: string): ServeError {
  return new ServeError('BAD_REQUEST', message);
}

/** An unknown model or version: 404. */
export function notFound(message: string): ServeError {
  return new ServeError('NOT_FOUND', message);
}

/** A model's queue holds its maximum of waiting requests: 503 with Retry-After. */
export class QueueFullError extends ServeError {
  constructor(model: string, maxQueueSize: number, retryAfterSeconds = 1) {
    super('QUEUE_FULL', `model "${model}" has ${maxQueueSize} requests waiting (the most it queues); retry later`, {
      'retry-after': String(retryAfterSeconds),
    });
    this.name = 'QueueFullError';
  }
}

/** A model version that was retired (a newer one replaced it) or a server shutting down. */
export class UnavailableError extends ServeError {
  constructor(message: string) {
    super('UNAVAILABLE', message, { 'retry-after': '1' });
    this.name = 'UnavailableError';
  }
}

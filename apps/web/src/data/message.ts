import { matrix, ValidationError, type ValidationReason } from '@abc/core';
import type { Dataset } from './dataset.js';
import type { DataError, DatasetMessage } from './protocol.js';

/** A typed array that owns its whole buffer (so transferring the buffer moves exactly these values). */
function own<T extends Float32Array | Uint8Array | Uint32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/**
 * A dataset as a message and the buffers to transfer with it (the feature matrix, labels, unknown flags and tag
 * codes move without a copy; only the small string lists are cloned).
 *
 * @example
 * const { message, transfer } = datasetToMessage(ds); postMessage({ dataset: message }, transfer);
 */
export function datasetToMessage(ds: Dataset): { message: DatasetMessage; transfer: ArrayBuffer[] } {
  const message: DatasetMessage = {
    X: own(ds.X.data),
    rows: ds.X.rows,
    cols: ds.X.cols,
    featureNames: [...(ds.X.featureNames ?? [])],
    labels: ds.labels ? own(ds.labels) : null,
    unknown: own(ds.unknown),
    tagCodes: own(ds.tagCodes),
    tagNames: ds.tagNames,
  };
  const transfer = [message.X.buffer, message.unknown.buffer, message.tagCodes.buffer] as ArrayBuffer[];
  if (message.labels) transfer.push(message.labels.buffer as ArrayBuffer);
  return { message, transfer };
}

/** The dataset a {@link datasetToMessage} message carries. */
export function datasetFromMessage(m: DatasetMessage): Dataset {
  return {
    X: matrix(m.X, m.rows, m.cols, m.featureNames),
    labels: m.labels,
    unknown: m.unknown,
    tagCodes: m.tagCodes,
    tagNames: m.tagNames,
  };
}

/** What crosses the worker boundary of an error (its class name, `ValidationError`'s reason, the message). */
export function errorToMessage(e: unknown): DataError {
  const error = e as Partial<ValidationError> | null;
  return {
    name: typeof error?.name === 'string' ? error.name : 'Error',
    reason: typeof error?.reason === 'string' ? error.reason : null,
    message: typeof error?.message === 'string' ? error.message : String(e),
  };
}

/** The typed error a message describes: a `ValidationError` with its reason again, else an `Error` of that name. */
export function errorFromMessage(m: DataError): Error {
  if (m.name === 'ValidationError' && m.reason !== null) return new ValidationError(m.reason as ValidationReason, m.message);
  const error = new Error(m.message);
  error.name = m.name;
  return error;
}

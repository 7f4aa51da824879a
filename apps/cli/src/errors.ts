import { AbcError } from '@abc/core';

/**
 * Exit codes of the `abc` command (documented in apps/cli/README.md):
 * 0 success; 1 an unexpected internal error; 2 bad usage or bad input (flags, params, data);
 * 3 a model file that cannot be read; 4 a backend that is not available; 5 a download that failed from every
 * address; 130 interrupted (Ctrl-C).
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, modelFormat: 3, backend: 4, download: 5, interrupted: 130 } as const;

/** A usage error of the command line itself (unknown flag, missing value). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof AbcError) {
    switch (error.code) {
      case 'MODEL_FORMAT':
        return EXIT.modelFormat;
      case 'BACKEND_UNAVAILABLE':
        return EXIT.backend;
      case 'ABORTED':
        return EXIT.interrupted;
      case 'DOWNLOAD':
        return EXIT.download;
      default:
        return EXIT.usage;
    }
  }
  return EXIT.internal;
}

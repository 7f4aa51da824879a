import { AbortError } from '@abc/core';

/** An abort signal that Ctrl-C (and an optional outer signal) fires, and how to let go of both. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Removes the SIGINT listener and the outer signal's listener (call in `finally`). */
  dispose(): void;
}

/**
 * Wires Ctrl-C to an AbortSignal for a long command: the first Ctrl-C aborts with `AbortError('interrupted
 * (Ctrl-C)')` so the command stops cleanly at its next safe point (exit 130, partial work kept); a second one
 * exits at once instead of waiting for the current epoch. `outer` (the tests' way to press Ctrl-C) aborts too.
 *
 * @example
 * const interrupt = interruptOnCtrlC(io.signal);
 * try { await reproduce({ ..., signal: interrupt.signal }); } finally { interrupt.dispose(); }
 */
export function interruptOnCtrlC(outer?: AbortSignal): Interrupt {
  const ctrl = new AbortController();
  const abort = () => ctrl.abort(new AbortError('interrupted (Ctrl-C)'));
  if (outer) {
    if (outer.aborted) abort();
    else outer.addEventListener('abort', abort, { once: true });
  }
  let presses = 0;
  const onSigint = () => {
    presses++;
    if (presses > 1) process.exit(130);
    abort();
  };
  process.on('SIGINT', onSigint);
  return {
    signal: ctrl.signal,
    dispose() {
      process.removeListener('SIGINT', onSigint);
      outer?.removeEventListener('abort', abort);
    },
  };
}

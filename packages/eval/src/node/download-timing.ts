// Time in the downloader: how long to wait before a retry, waiting itself (abortably), and noticing a
// connection that has gone quiet.

/** The longest wait between two attempts, however many attempts failed before. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The wait before retry number `retry` (1 = first retry): `baseMs * 2^(retry-1)`, capped, then jittered
 * down to between half and all of it so that many clients failing together do not retry in lockstep.
 */
export function backoffDelay(retry: number, baseMs: number, random: () => number = Math.random): number {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(full / 2 + (full / 2) * random());
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why an attempt was given up: nothing arrived for too long. */
export class IdleTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no data for ${ms} ms (idle timeout)`);
    this.name = 'IdleTimeoutError';
  }
}

/**
 * Calls `onIdle` once when `touch` has not been called for `ms`. Started on creation; every byte received
 * touches it, so a slow but steady transfer never times out while a stalled one does.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | null = null;
  private fired = false;
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.touch();
  }

  /** Restarts the countdown. */
  touch(): void {
    if (this.fired) return;
    this.pause();
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onIdle();
    }, this.ms);
  }

  /** Stops the countdown until the next `touch` (e.g. while re-reading a local file, which is not the network's fault). */
  pause(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

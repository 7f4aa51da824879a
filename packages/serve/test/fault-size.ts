// How many requests the fault tests (reload.test.ts, shutdown.test.ts) send: the 20,000 each by default
// (about 25 s and 15 s on a loaded 2-core machine), or ABC_SERVE_FAULT_REQUESTS for a quicker or a longer run:
//
//   ABC_SERVE_FAULT_REQUESTS=2000 pnpm exec vitest run --project serve test/reload.test.ts test/shutdown.test.ts

/** The fault tests' request count when ABC_SERVE_FAULT_REQUESTS is not set (the issue's size). */
export const DEFAULT_FAULT_REQUESTS = 20_000;

/** ABC_SERVE_FAULT_REQUESTS (an integer >= 500), else {@link DEFAULT_FAULT_REQUESTS}. */
export function faultRequests(): number {
  const text = process.env.ABC_SERVE_FAULT_REQUESTS;
  if (text === undefined || text === '') return DEFAULT_FAULT_REQUESTS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 500) throw new RangeError(`ABC_SERVE_FAULT_REQUESTS must be an integer >= 500, got "${text}"`);
  return n;
}

/** A test timeout that grows with the request count (about 5 ms a request on a heavily loaded machine, + 60 s). */
export function faultTimeout(requests: number): number {
  return 60_000 + requests * 5;
}

import { createHash } from 'node:crypto';

/** What makes two jobs the same work: enqueueing the same spec twice gives one job. */
export interface JobSpec {
  kind: string;
  dataset: string;
  protocol: unknown;
  method: string;
  params: unknown;
  seed: number;
}

/**
 * A JSON text with object keys sorted at every depth, so equal values give equal texts.
 *
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

/**
 * A stable job id: the kind and a SHA-256 of (kind, dataset, protocol, method, params, seed), so that
 * re-enqueueing the same work is a no-op (BullMQ keeps one job per id).
 *
 * @example
 * jobId({ kind: 'reproduce', dataset: 'toy2d', protocol: { setting: 1 }, method: 'ae', params: {}, seed: 0 });
 * // 'reproduce-3f1c…' (the same string on every machine)
 */
export function jobId(spec: JobSpec): string {
  const { kind, dataset, protocol, method, params, seed } = spec;
  const hash = createHash('sha256')
    .update(canonicalJson([kind, dataset, protocol, method, params, seed]))
    .digest('hex');
  return `${kind}-${hash.slice(0, 32)}`;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { ServeError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A bearer-token check: `Authorization: Bearer <token>`, compared in constant time. Health endpoints stay open
 * (probes carry no token); everything else answers 401 without it.
 *
 * @example
 * const check = bearerCheck('s3cret');
 * check('/v2/models/fraud/infer', req.headers.authorization);   // throws a 401 ServeError when wrong
 */
export function bearerCheck(token: string): (url: string, authorization: string | undefined) => void {
  const expected = digest(token);
  return (url, authorization) => {
    if (url.startsWith('/v2/health/')) return;
    const m = authorization?.match(/^Bearer\s+(.+)$/i);
    if (!m || !timingSafeEqual(digest(m[1].trim()), expected)) {
      throw new ServeError('UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer <token>)', {
        'www-authenticate': 'Bearer realm="abc-serve"',
      });
    }
  };
}

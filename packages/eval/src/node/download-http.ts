// One GET, from the request to the response headers: direct, through an http proxy (absolute-URI form for
// http targets, a CONNECT tunnel for https ones), following redirects.
//
// Why node:http/https and our own CONNECT rather than undici's EnvHttpProxyAgent: no new dependency for a
// package that is otherwise dependency-light; proxy variables come from an explicit `env` object (undici
// reads process.env or needs the same parsing anyway); and we need the raw socket-level control that the
// downloader relies on (destroying a stalled response with our own reason, Range resumption on the exact
// byte count written, no connection pooling that could keep a half-read response alive).
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { bareHostname, portOf, proxyAuthorization, proxyForUrl, type ProxyEnv } from './download-proxy.js';

/** Extra certificate authorities (PEM) to trust for https: they replace Node's bundled roots. */
export type TrustedCa = string | Buffer | ReadonlyArray<string | Buffer>;

/** How to make the request. */
export interface GetOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly env: ProxyEnv;
  readonly ca?: TrustedCa;
  /** Aborting destroys the request (and the tunnel) with the signal's reason. */
  readonly signal: AbortSignal;
  readonly maxRedirects?: number;
}

/** A response whose status is not a redirect, and how it was reached. */
export interface OpenedResponse {
  readonly response: IncomingMessage;
  /** The address that answered, after redirects. */
  readonly finalUrl: URL;
  /** The proxy of the last hop, if any. */
  readonly proxy: URL | null;
}

/** A response status that ends an attempt; `retryable` says whether asking the same address again may help. */
export class HttpStatusError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    statusText: string | undefined,
    readonly url: string,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpStatusError';
    // Timeouts, rate limits and server errors are transient; any other status (404, 403, 410...) will not
    // change on a retry, so the downloader moves on to the next mirror at once.
    this.retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'abc-anomaly-downloader (+https://github.com/abc-anomaly/abc)';

/**
 * Sends a GET and resolves with the first response that is not a redirect (up to `maxRedirects`, default
 * 10). The caller reads (or discards) the body; aborting `signal` destroys the request in flight.
 */
export async function openGet(url: string, options: GetOptions): Promise<OpenedResponse> {
  let target = new URL(url);
  const maxRedirects = options.maxRedirects ?? 10;
  for (let hop = 0; ; hop++) {
    const proxy = proxyForUrl(target, options.env);
    let response: IncomingMessage;
    try {
      response = await requestOnce(target, proxy, options);
    } catch (e) {
      throw options.signal.aborted ? e : viaProxy(e, proxy);
    }
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined) {
      return { response, finalUrl: target, proxy };
    }
    response.resume();
    if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects (last to ${location})`);
    target = new URL(location, target);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new Error(`redirect to an unsupported address ${target.protocol}//${target.host}`);
    }
  }
}

/** Adds "(via proxy HOST)" to an error's message (once), so a failure through a proxy says so. */
export function viaProxy(e: unknown, proxy: URL | null): unknown {
  if (proxy !== null && e instanceof Error && !e.message.includes('via proxy')) e.message += ` (via proxy ${proxy.host})`;
  return e;
}

/** TLS options for a host: SNI only for names (Node refuses an IP as server name), the host for verification. */
function tlsOptions(target: URL, ca: TrustedCa | undefined): tls.ConnectionOptions {
  const host = bareHostname(target);
  return {
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(ca !== undefined ? { ca: ca as string | Buffer | Array<string | Buffer> } : {}),
  };
}

async function requestOnce(target: URL, proxy: URL | null, options: GetOptions): Promise<IncomingMessage> {
  options.signal.throwIfAborted();
  const secure = target.protocol === 'https:';
  const path = `${target.pathname}${target.search}`;
  const headers: OutgoingHttpHeaders = { 'user-agent': USER_AGENT, ...options.headers, host: target.host };
  // agent: false everywhere: one fresh connection per request, closed with it, so nothing lingers in a pool.
  let request: () => http.ClientRequest;
  if (proxy !== null && secure) {
    const socket = await openTunnel(proxy, target, options);
    const tlsSocket = tls.connect({ socket, ...tlsOptions(target, options.ca) });
    request = () => http.request({ method: 'GET', path, headers, createConnection: () => tlsSocket });
  } else if (proxy !== null) {
    // A plain http request through a proxy: the request line carries the absolute URL.
    const transport = proxy.protocol === 'https:' ? https : http;
    request = () =>
      transport.request({
        method: 'GET',
        host: bareHostname(proxy),
        port: portOf(proxy),
        path: target.href,
        headers: { ...headers, ...proxyAuthorization(proxy) },
        agent: false,
      });
  } else if (secure) {
    request = () =>
      https.request({ method: 'GET', port: portOf(target), path, headers, agent: false, ...tlsOptions(target, options.ca) });
  } else {
    request = () =>
      http.request({ method: 'GET', host: bareHostname(target), port: portOf(target), path, headers, agent: false });
  }
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request();
    const onAbort = (): void => {
      req.destroy(options.signal.reason as Error);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (response) => {
      options.signal.removeEventListener('abort', onAbort);
      resolve(response);
    });
    req.once('error', (e) => {
      options.signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    req.end();
  });
}

/** Asks an http proxy for a raw TCP tunnel to the target (CONNECT host:port) and resolves with its socket. */
function openTunnel(proxy: URL, target: URL, options: GetOptions): Promise<Socket> {
  const authority = `${target.hostname}:${portOf(target)}`;
  const transport = proxy.protocol === 'https:' ? https : http;
  return new Promise<Socket>((resolve, reject) => {
    const req = transport.request({
      method: 'CONNECT',
      host: bareHostname(proxy),
      port: portOf(proxy),
      path: authority,
      headers: { host: authority, 'user-agent': USER_AGENT, ...proxyAuthorization(proxy) },
      agent: false,
    });
    const onAbort = (): void => {
      req.destroy(options.signal.reason as Error);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    req.once('connect', (response, socket, head) => {
      options.signal.removeEventListener('abort', onAbort);
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`the proxy refused a tunnel to ${authority}: HTTP ${response.statusCode}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('error', (e) => {
      options.signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    req.end();
  });
}

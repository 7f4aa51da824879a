// Which proxy (if any) a request goes through, from the conventional environment variables. Only the
// decision lives here; download-http.ts does the tunnelling.

/** Where proxy settings are read from: `process.env` or a test's own object. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The first of the named variables that is set and not blank (lower case first, as curl and wget do). */
function envValue(env: ProxyEnv, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** The port a URL connects to, the scheme's default when none is written. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : defaultPort(url.protocol);
}

/** A URL's host name as a socket wants it: IPv6 literals without their brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Whether a `NO_PROXY` list exempts this URL: `*` exempts everything; `example.com`, `.example.com` and
 * `*.example.com` each exempt example.com and its subdomains; `host:port` exempts only that port. Entries
 * are separated by commas or blanks; case is ignored. (CIDR ranges are not understood.)
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = bareHostname(url).toLowerCase();
  const port = portOf(url);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | null = null;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1];
      entryPort = Number(withPort[2]);
    }
    entry = entry.replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '');
    if (entryPort !== null && entryPort !== port) continue;
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** A proxy variable that cannot be used: asking again will not help. */
export class ProxySettingError extends Error {
  readonly retryable = false;
}

/**
 * The proxy a request for `url` should go through, or null for a direct connection: `https_proxy` /
 * `HTTPS_PROXY` for https addresses, `http_proxy` / `HTTP_PROXY` for http ones, `all_proxy` / `ALL_PROXY`
 * for both when those are unset, unless `no_proxy` / `NO_PROXY` exempts the host. A proxy written without a
 * scheme (`proxy:3128`) is taken as http. Only http and https proxies are supported (not SOCKS).
 *
 * @example
 * proxyForUrl(new URL('https://ossci-datasets.s3.amazonaws.com/mnist/'), { HTTPS_PROXY: 'http://proxy:3128' })?.host;   // 'proxy:3128'
 */
export function proxyForUrl(url: URL, env: ProxyEnv): URL | null {
  const own = url.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const value = envValue(env, own) ?? envValue(env, ['all_proxy', 'ALL_PROXY']);
  if (value === undefined) return null;
  if (bypassesProxy(url, envValue(env, ['no_proxy', 'NO_PROXY']) ?? '')) return null;
  const proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new ProxySettingError(
      `unsupported proxy ${proxy.protocol}//${proxy.host}: only http:// and https:// proxies are supported`,
    );
  }
  return proxy;
}

/** The `Proxy-Authorization` header for a proxy URL with credentials (`http://user:pass@proxy:3128`). */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

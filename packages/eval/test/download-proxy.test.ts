import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DownloadError, downloadFile, proxyForUrl } from '../src/node/download.js';
import { bypassesProxy } from '../src/node/download-proxy.js';
import { tempDir } from './fixtures/paths.js';
import { selfSignedCertificate } from './fixtures/download/certificate.js';
import { startProxy, type TestProxy } from './fixtures/download/proxy.js';
import { refusedOrigin, serveBytes, sha256Hex, startServer, testBytes, type TestServer } from './fixtures/download/server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const FILE = testBytes(50_000, 5);
const SHA = sha256Hex(FILE);
const checksum = { algorithm: 'sha256', hex: SHA } as const;

async function fileServer(tls?: { key: string; cert: string }): Promise<TestServer> {
  const server = await startServer((req, res) => serveBytes(req, res, FILE), tls);
  cleanups.push(() => server.close());
  return server;
}

async function proxy(): Promise<TestProxy> {
  const p = await startProxy();
  cleanups.push(() => p.close());
  return p;
}

describe('proxy selection from the environment', () => {
  const https = new URL('https://data.example.com/mnist.gz');
  const http = new URL('http://data.example.com:8080/mnist.gz');

  it('picks the scheme’s variable, lower case first, ALL_PROXY as a fallback', () => {
    expect(proxyForUrl(https, {})).toBeNull();
    expect(proxyForUrl(https, { HTTPS_PROXY: 'http://upper:1' })?.host).toBe('upper:1');
    expect(proxyForUrl(https, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })?.host).toBe('lower:2');
    expect(proxyForUrl(https, { HTTP_PROXY: 'http://plain:3' })).toBeNull();
    expect(proxyForUrl(http, { HTTP_PROXY: 'proxy:3128' })?.href).toBe('http://proxy:3128/');
    expect(proxyForUrl(http, { ALL_PROXY: 'http://all:4' })?.host).toBe('all:4');
    expect(() => proxyForUrl(http, { HTTP_PROXY: 'socks5://s:1080' })).toThrow(/only http/);
  });

  it('NO_PROXY: *, host suffixes (with or without a leading dot), host:port, case and blanks ignored', () => {
    expect(bypassesProxy(https, '*')).toBe(true);
    expect(bypassesProxy(https, 'example.com')).toBe(true);
    expect(bypassesProxy(https, '.example.com')).toBe(true);
    expect(bypassesProxy(https, '*.EXAMPLE.com')).toBe(true);
    expect(bypassesProxy(https, 'other.org, data.example.com')).toBe(true);
    expect(bypassesProxy(https, 'ample.com')).toBe(false);
    expect(bypassesProxy(https, 'example.com:8443')).toBe(false);
    expect(bypassesProxy(https, 'example.com:443')).toBe(true);
    expect(bypassesProxy(http, 'data.example.com:8080')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:9/x'), '::1')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:9/x'), '[::1]:9')).toBe(true);
    expect(proxyForUrl(https, { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com' })).toBeNull();
  });
});

describe('downloading through a proxy', () => {
  it('http goes through HTTP_PROXY (absolute-URI request, with credentials); NO_PROXY bypasses it', async () => {
    const server = await fileServer();
    const p = await proxy();
    const dir = folder();
    const url = `${server.origin}/f`;
    const proxied = await downloadFile({
      urls: [url],
      dest: join(dir, 'a'),
      checksum,
      env: { HTTP_PROXY: p.url.replace('http://', 'http://user:p%40ss@') },
    });
    expect(proxied.verified).toBe(true);
    expect(p.seen).toEqual([`GET ${url}`]);
    expect(p.authorizations).toEqual([`Basic ${Buffer.from('user:p@ss').toString('base64')}`]);
    expect(server.count('/f')).toBe(1);

    const port = new URL(server.origin).port;
    for (const noProxy of ['127.0.0.1', `other.example, 127.0.0.1:${port}`, '*']) {
      await downloadFile({
        urls: [url],
        dest: join(dir, `b-${server.requests.length}`),
        checksum,
        env: { http_proxy: p.url, NO_PROXY: noProxy },
      });
    }
    expect(p.seen).toHaveLength(1);
    expect(server.count('/f')).toBe(4);
  });

  it('a proxy that is down fails the attempt, and the error says it was the proxy', async () => {
    const server = await fileServer();
    const down = await refusedOrigin();
    const e = await downloadFile({
      urls: [`${server.origin}/f`],
      dest: join(folder(), 'a'),
      env: { HTTP_PROXY: down },
      retries: 0,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DownloadError);
    expect((e as Error).message).toMatch(new RegExp(`ECONNREFUSED.*via proxy ${new URL(down).host}`));
    expect(server.requests).toHaveLength(0);
  });

  it('https goes through HTTPS_PROXY with a CONNECT tunnel, trusting the CA passed in `ca`', async (ctx) => {
    const dir = folder();
    const tls = selfSignedCertificate(dir);
    if (tls === null) {
      ctx.skip('openssl is not available to make a test certificate');
      return;
    }
    const server = await fileServer(tls);
    const p = await proxy();
    const env = { HTTPS_PROXY: p.url };
    const result = await downloadFile({
      urls: [`${server.origin}/f`],
      dest: join(dir, 'a'),
      checksum,
      env,
      ca: tls.cert,
      retries: 0,
    });
    expect(result.verified).toBe(true);
    expect(readFileSync(join(dir, 'a')).equals(FILE)).toBe(true);
    expect(p.seen).toEqual([`CONNECT ${new URL(server.origin).host}`]);
    expect(server.count('/f')).toBe(1);

    // Without the CA the self-signed certificate is refused: the tunnel really carried TLS.
    const untrusted = await downloadFile({ urls: [`${server.origin}/f`], dest: join(dir, 'b'), env, retries: 0 }).catch(
      (x: unknown) => x,
    );
    expect(untrusted).toBeInstanceOf(DownloadError);
    expect((untrusted as Error).message).toMatch(/self.signed|certificate/i);
  });
});

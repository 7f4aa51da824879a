import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
};

/** A running static server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** Stops listening and drops every open connection (so a page's next request fails, as offline). */
  close(): Promise<void>;
}

/**
 * Serves a folder on 127.0.0.1 (an ephemeral port) as a static host would: with the COOP/COEP headers when
 * `isolation` is true (what Vite's preview and a configured host send), without them otherwise (GitHub Pages).
 *
 * @example
 * const server = await serveStatic('dist', { isolation: false });
 * await page.goto(`${server.base}/`);
 * await server.close();
 */
export async function serveStatic(root: string, options: { isolation: boolean }): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = normalize(join(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname)));
    if (!(path === root || path.startsWith(root + sep)) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' };
    if (options.isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

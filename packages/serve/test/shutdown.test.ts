import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fitAbc, writeOnnxModel } from './helpers.js';

// A fault test: the server runs as a child process (tsx, from source) and gets SIGTERM while ~1,500 requests
// (32 at a time, a new connection each) are going. Every request must get one well-formed answer (200 with its
// own id, or a 503 JSON error while closing) or a clean connection refusal after shutdown began; the process must
// exit 0. Before the storm: a 1 GB Content-Length gets 413 and the server stays up; malformed JSON gets 400.

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const tsx = join(root, 'node_modules/.bin/tsx');

let dir = '';
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  i: number;
  status?: number;
  body?: string;
  error?: string;
  endedAt: number;
}

function send(port: number, i: number): Promise<Outcome> {
  const body = JSON.stringify({
    id: `q${i}`,
    inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [Math.sin(i), Math.cos(i)] }],
  });
  return new Promise((done) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v2/models/m/infer',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => done({ i, status: res.statusCode, body: text, endedAt: performance.now() }));
        res.on('error', (e: NodeJS.ErrnoException) =>
          done({ i, error: `response ${e.code ?? e.message}`, endedAt: performance.now() }),
        );
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => done({ i, error: e.code ?? e.message, endedAt: performance.now() }));
    req.end(body);
  });
}

function raw(port: number, text: string): Promise<string> {
  return new Promise((done, fail) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (c) => {
      got += c.toString();
      if (/\r\n\r\n[\s\S]*\}/.test(got)) {
        sock.destroy();
        done(got);
      }
    });
    sock.on('error', fail);
    sock.setTimeout(5000, () => {
      sock.destroy();
      fail(new Error(`no answer: ${JSON.stringify(got)}`));
    });
    sock.write(text);
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('answers every accepted request, refuses new connections cleanly, exits 0', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abc-serve-term-'));
    await writeOnnxModel(dir, 'm', '1', await fitAbc(2, 1));
    child = spawn(tsx, ['--conditions=@abc/source', join(here, 'fixtures/serve-child.ts'), dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child!.on('exit', (code, signal) => r({ code, signal })),
    );
    const url = await new Promise<string>((ok, fail) => {
      let buf = '';
      const timer = setTimeout(() => fail(new Error(`the server did not start: ${stderr}`)), 30_000);
      child!.stdout!.on('data', (c) => {
        buf += c;
        let nl: number;
        for (nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lines.push(line);
          const log = JSON.parse(line) as { msg?: string; url?: string };
          if (log.msg === 'listening' && log.url) {
            clearTimeout(timer);
            ok(log.url);
          }
        }
      });
    });
    const port = Number(new URL(url).port);

    // A 1 GB body declared, a few bytes sent: 413 at once; malformed JSON: 400; the server is still up.
    const huge = await raw(
      port,
      'POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{"in',
    );
    expect(huge).toMatch(/^HTTP\/1\.1 413/);
    const bad = await raw(
      port,
      'POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"inputs"',
    );
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    expect(bad).toContain('not valid JSON');

    const total = 1500;
    const outcomes: Outcome[] = [];
    let next = 0;
    let termAt = Infinity;
    let refusedInARow = 0;
    const loop = async () => {
      while (next < total && refusedInARow < 64) {
        const o = await send(port, next++);
        outcomes.push(o);
        refusedInARow = o.error ? refusedInARow + 1 : 0;
        if (outcomes.length === 400 && termAt === Infinity) {
          termAt = performance.now();
          child!.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, loop));
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code, stderr).toBe(0);
    expect(termAt).toBeLessThan(Infinity);

    let ok = 0;
    let okAfterTerm = 0;
    const ids = new Set<string>();
    for (const o of outcomes) {
      if (o.error !== undefined) {
        // A connection refused or reset before any answer: only after shutdown began.
        expect(['ECONNREFUSED', 'ECONNRESET'], `request ${o.i}: ${o.error}`).toContain(o.error);
        expect(o.endedAt, `request ${o.i} failed before SIGTERM`).toBeGreaterThanOrEqual(termAt);
        continue;
      }
      const body = JSON.parse(o.body!) as { id?: string; outputs?: { name: string; data: number[] }[]; error?: string };
      if (o.status === 200) {
        expect(body.id).toBe(`q${o.i}`);
        expect(ids.has(body.id!)).toBe(false);
        ids.add(body.id!);
        expect(body.outputs?.[0].name).toBe('score');
        expect(Number.isFinite(body.outputs?.[0].data[0])).toBe(true);
        ok++;
        if (o.endedAt > termAt) okAfterTerm++;
      } else {
        expect(o.status, o.body).toBe(503);
        expect(typeof body.error).toBe('string');
        expect(o.endedAt).toBeGreaterThanOrEqual(termAt);
      }
    }
    expect(ok).toBeGreaterThanOrEqual(400);
    expect(okAfterTerm).toBeGreaterThan(0); // requests in flight at SIGTERM were answered
    // JSON logs: every stdout line is a JSON object, and the shutdown was logged.
    const msgs = lines.filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain('shutting down');
    expect(msgs).toContain('shutdown complete');
  });
});

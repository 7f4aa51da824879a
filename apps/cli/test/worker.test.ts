/**
 * `abc worker`'s flags, refused before it connects anywhere (its jobs, plugins included, are tested against a
 * real Redis in packages/queue/test).
 */
import { describe, expect, it } from 'vitest';
import { runWorker } from '../src/commands/worker.js';
import { exitCodeFor } from '../src/errors.js';

async function run(argv: string[]) {
  const out: string[] = [];
  try {
    return { code: await runWorker(argv, (s) => out.push(s)), out: out.join('\n'), error: undefined };
  } catch (e) {
    return { code: exitCodeFor(e), out: out.join('\n'), error: e as Error };
  }
}

describe('abc worker', () => {
  it('needs --queue, a redis:// address and a positive --concurrency (exit 2)', async () => {
    const missing = await run([]);
    expect(missing.code).toBe(2);
    expect(missing.error?.message).toMatch(/--queue/);
    const scheme = await run(['--queue', 'http://queue-host:6379']);
    expect(scheme.code).toBe(2);
    expect(scheme.error?.message).toMatch(/--queue must start with redis:\/\/ or rediss:\/\//);
    const concurrency = await run(['--queue', 'redis://127.0.0.1:6379', '--concurrency', '0']);
    expect(concurrency.code).toBe(2);
    expect(concurrency.error?.message).toMatch(/--concurrency must be a positive integer, got "0"/);
  });

  it('documents --plugin and the benchmark jobs in its help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--plugin MODULE +\(repeatable\)/);
    expect(help.out).toMatch(/search, reproduction and benchmark jobs/);
  });
});

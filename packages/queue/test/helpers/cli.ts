import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const tsx = createRequire(import.meta.url).resolve('tsx');

/** A running `abc` process (from source, as `pnpm abc` runs it) and what it printed so far. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (and the output) when it ends. */
  done: Promise<{ code: number | null; output: string }>;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * Starts `abc ARGS` from source.
 *
 * @example
 * const { done } = abc(['worker', '--queue', url]);
 */
export function abc(args: string[]): CliProcess {
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@abc/source', join(root, 'apps/cli/src/main.ts'), ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<{ code: number | null; output: string }>((r) =>
    child.once('close', (code) => r({ code, output: text })),
  );
  return {
    child,
    output: () => text,
    done,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolvePromise();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Stops a worker process (SIGTERM: it lets its running jobs finish; SIGKILL after `graceMs`) and waits for it. */
export async function stop(p: CliProcess, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.done;
  clearTimeout(timer);
}

// A lock file next to a download, so that two processes (or two calls in one process) never write the same
// file: created with the exclusive `wx` flag, holding its owner's pid, host and start time, refreshed (its
// mtime) while held, and taken over when its owner is provably dead or has stopped refreshing it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type FileHandle, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { sleep } from './download-timing.js';

/** What a lock file holds. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** Unique per acquisition, so a release never deletes a lock someone else took over. */
  readonly token: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  /** Deletes the lock file if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

/** How to wait for and judge a lock. */
export interface LockOptions {
  /** A lock not refreshed for this long is abandoned, whoever owns it. */
  readonly staleMs: number;
  /** How often to look again while someone else holds it. */
  readonly pollMs: number;
  /** Aborting stops the wait; the rejection is the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called once, when the lock is found taken and the wait begins. */
  readonly onWait?: (owner: LockOwner | null) => void;
}

/** A lock file as found: its owner (null when unreadable), its raw text and when it was last refreshed. */
export interface LockState {
  readonly owner: LockOwner | null;
  readonly raw: string;
  readonly mtimeMs: number;
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const v = JSON.parse(raw) as Partial<LockOwner> | null;
    if (v && typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.token === 'string') {
      return { pid: v.pid, hostname: v.hostname, startedAt: String(v.startedAt), token: v.token };
    }
  } catch {
    // Half-written (its owner is between `open` and `write`) or foreign: judged by age alone.
  }
  return null;
}

/** The lock's content and age, or null when it no longer exists. */
async function readLock(path: string): Promise<LockState | null> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { owner: parseOwner(raw), raw, mtimeMs: info.mtimeMs };
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Whether a process of this host is alive: signal 0 checks without sending anything. EPERM means it exists
 * but belongs to someone else. Non-positive pids are never probed (kill(0) would mean our own group).
 */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) !== 'ESRCH';
  }
}

/**
 * A lock is abandoned when its owner ran on this host and is gone (taken over at once), or when it has not
 * been refreshed for `staleMs`: an owner on another host that cannot be checked, a frozen process, a
 * reused pid, or a file left half-written.
 */
export function isAbandoned(state: LockState, staleMs: number, now = Date.now()): boolean {
  const { owner } = state;
  if (owner !== null && owner.hostname === hostname() && !isAlive(owner.pid)) return true;
  return now - state.mtimeMs > staleMs;
}

/**
 * Removes an abandoned lock. A second, short-lived guard file makes the check-and-delete atomic among
 * waiters: without it, two waiters could both judge the old lock abandoned and the slower one would delete
 * the fresh lock that the faster one had just created.
 */
async function breakLock(path: string, judged: LockState): Promise<boolean> {
  const guard = `${path}.break`;
  let fd: FileHandle;
  try {
    fd = await open(guard, 'wx');
  } catch (e) {
    if (errorCode(e) !== 'EEXIST') throw e;
    // Another waiter is breaking it; a guard older than a few seconds was left by a crash.
    const info = await stat(guard).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > 5_000) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await readLock(path);
    if (now === null || now.raw !== judged.raw || now.mtimeMs !== judged.mtimeMs) return false;
    await unlink(path);
    return true;
  } finally {
    await fd.close();
    await unlink(guard).catch(() => undefined);
  }
}

async function tryCreate(path: string): Promise<LockOwner | null> {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
  let fd: FileHandle;
  try {
    fd = await open(path, 'wx');
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return null;
    throw e;
  }
  try {
    await fd.writeFile(`${JSON.stringify(owner)}\n`);
  } finally {
    await fd.close();
  }
  return owner;
}

/**
 * Takes the lock file `path`, waiting (polling every `pollMs`) while another live owner holds it and taking
 * over an abandoned one (see {@link isAbandoned}). While held, its mtime is refreshed a few times per
 * `staleMs`, so a long download is never mistaken for an abandoned one.
 *
 * @example
 * const lock = await acquireLock('data/mnist/train.gz.lock', { staleMs: 600_000, pollMs: 250 });
 * try { ... } finally { await lock.release(); }
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  let waiting = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const owner = await tryCreate(path);
    if (owner !== null) return hold(path, owner, options.staleMs);
    const state = await readLock(path);
    if (state === null) continue; // released between our attempt and our look
    if (isAbandoned(state, options.staleMs) && (await breakLock(path, state))) continue;
    if (!waiting) {
      waiting = true;
      options.onWait?.(state.owner);
    }
    await sleep(options.pollMs, options.signal);
  }
}

function hold(path: string, owner: LockOwner, staleMs: number): HeldLock {
  const period = Math.min(30_000, Math.max(50, Math.floor(staleMs / 4)));
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, period);
  heartbeat.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      const state = await readLock(path).catch(() => null);
      if (state?.owner?.token === owner.token) await unlink(path).catch(() => undefined);
    },
  };
}

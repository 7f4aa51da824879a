/**
 * CPU time of single threads from Linux's /proc (utime + stime of /proc/PID/task/TID/stat), so the benchmark can
 * compare the thread that trains in Node with the Web Worker thread that trains in Chromium even on a loaded
 * machine, where wall-clock times mostly measure the other processes. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** One thread of one process. */
export interface ThreadId {
  pid: number;
  tid: number;
}

/** Fields of a /proc stat line after the parenthesised command name (which may hold spaces). */
function statFields(path: string): { comm: string; rest: string[] } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // the thread or process has ended
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  return { comm: text.slice(open + 1, close), rest: text.slice(close + 2).split(' ') };
}

/** CPU seconds (user + system) a thread has used so far; NaN when it has ended. */
export function threadCpuSeconds(t: ThreadId): number {
  const f = statFields(`/proc/${t.pid}/task/${t.tid}/stat`);
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  return f ? (Number(f.rest[11]) + Number(f.rest[12])) / TICKS_PER_SECOND : Number.NaN;
}

/** The process and all its descendants (found through each process's parent id). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(`/proc/${name}/stat`);
    if (f) parent.set(Number(name), Number(f.rest[1]));
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/** The threads of a process tree whose name starts with `prefix` (Chromium names worker threads "DedicatedWorker"). */
export function threadsNamed(root: number, prefix: string): ThreadId[] {
  const out: ThreadId[] = [];
  for (const pid of processTree(root)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      if (f?.comm.startsWith(prefix)) out.push({ pid, tid: Number(tid) });
    }
  }
  return out;
}

/**
 * Runs `work` and returns its result with the CPU seconds of the busiest of `threads()` meanwhile (the threads are
 * listed before and after, so a thread that exists at both ends counts).
 */
export async function busiestThreadCpu<T>(
  threads: () => ThreadId[],
  work: () => Promise<T>,
): Promise<{ result: T; cpu: number }> {
  const before = new Map(threads().map((t) => [`${t.pid}/${t.tid}`, threadCpuSeconds(t)]));
  const result = await work();
  let cpu = 0;
  for (const t of threads()) {
    const b = before.get(`${t.pid}/${t.tid}`);
    const a = threadCpuSeconds(t);
    if (b !== undefined && Number.isFinite(a) && Number.isFinite(b)) cpu = Math.max(cpu, a - b);
  }
  return { result, cpu };
}

/**
 * What the `*-speed.ts` scripts share: the command line (`--rows 10000 --cols 32 --repeat 3 --reference DIR`), the
 * data (`rows` × `cols` N(0, 1) values with 1% of the rows labelled anomalies, shifted by 2), CPU-second timing
 * (best of `repeat`), the temporary folder holding the data for the DeepOD side, the child /usr/bin/python3 that runs
 * it on one thread, and the "ours against DeepOD" part of each printed line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random, type Matrix } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';

export interface SpeedRun {
  rows: number;
  cols: number;
  repeat: number;
  /** The folder holding DeepOD (and its stubs), put on the child's PYTHONPATH. */
  reference: string;
  X: Matrix;
  y: Uint8Array;
}

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}

/** The command line's sizes and the data both sides train on (the same float32 values). */
export function speedRun(): SpeedRun {
  const rows = Number(arg('rows', '10000'));
  const cols = Number(arg('cols', '32'));
  const repeat = Number(arg('repeat', '3'));
  const reference = arg('reference', join(import.meta.dirname, '../../../../shared/reference'));
  const rng = new Random(1);
  const X = matrix(
    new Float32Array(rows * cols).map(() => rng.normal(0, 1)),
    rows,
    cols,
  );
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i += 100) {
    y[i] = 1;
    for (let j = 0; j < cols; j++) X.data[i * cols + j] += 2;
  }
  return { rows, cols, repeat, reference, X, y };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The smallest CPU seconds (user + system) of `repeat` runs of `run`; `prepare(r)` (untimed) gives run r its input,
 * e.g. its random generator.
 */
export async function bestCpuSeconds<T>(
  repeat: number,
  prepare: (r: number) => T,
  run: (input: T) => Promise<unknown>,
): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const input = prepare(r);
    const t0 = cpuSeconds();
    await run(input);
    best = Math.min(best, cpuSeconds() - t0);
  }
  return best;
}

/** Runs one job of a `*_speed_deepod.py` script; returns the JSON of its last line of output. */
export type DeepOD = <T>(script: string, jobName: string, job: Record<string, unknown>) => T;

/**
 * Prints the header line (`${title} training speed, rows × cols, one thread each, kernel K, best of N`) and runs
 * `body` with a temporary folder `${prefix}-speed-*` holding x.f32 and y.u8, removed afterwards. `body`'s `deepod`
 * writes the job `{ x, y, rows, cols, repeat, ...job }` to `jobName`.json and runs `script` (next to this file) on it
 * in a child /usr/bin/python3 on one thread (OMP, OpenBLAS and MKL; the scripts set torch's).
 */
export async function sideBySide(
  run: SpeedRun,
  prefix: string,
  title: string,
  body: (deepod: DeepOD) => Promise<void>,
): Promise<void> {
  const { rows, cols, repeat, reference } = run;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-speed-`));
  try {
    writeFileSync(join(dir, 'x.f32'), run.X.data);
    writeFileSync(join(dir, 'y.u8'), run.y);
    console.log(
      `${title} training speed, ${rows} × ${cols}, one thread each, kernel ${getDefaultKernel().name}, best of ${repeat}`,
    );
    await body(<T>(script: string, jobName: string, fields: Record<string, unknown>): T => {
      const job = join(dir, `${jobName}.json`);
      writeFileSync(job, JSON.stringify({ x: join(dir, 'x.f32'), y: join(dir, 'y.u8'), rows, cols, repeat, ...fields }));
      const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, script), job], {
        env: {
          ...process.env,
          PYTHONPATH: `${reference}:${join(reference, 'stubs')}`,
          OMP_NUM_THREADS: '1',
          OPENBLAS_NUM_THREADS: '1',
          MKL_NUM_THREADS: '1',
        },
        encoding: 'utf8',
      });
      if (py.status !== 0) throw new Error(`DeepOD side failed: ${py.stderr}`);
      return JSON.parse(py.stdout.trim().split('\n').pop()!) as T;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A side's count of training rows (or pairs) and its CPU seconds. */
export interface Timed {
  count: number;
  seconds: number;
}

/**
 * `ours R unit/s (n in s s)   DeepOD (torch V) R unit/s (n in s s)   ratio Qx`, the rates padded to `width`; the
 * ratio is ours / DeepOD (above 1 = we are faster).
 */
export function versus(ours: Timed, theirs: Timed & { torch: string }, unit: string, width: number): string {
  const oursRate = ours.count / ours.seconds;
  const theirRate = theirs.count / theirs.seconds;
  return (
    `ours ${oursRate.toFixed(0).padStart(width)} ${unit}/s (${ours.count} in ${ours.seconds.toFixed(2)} s)   ` +
    `DeepOD (torch ${theirs.torch}) ${theirRate.toFixed(0).padStart(width)} ${unit}/s (${theirs.count} in ${theirs.seconds.toFixed(2)} s)   ` +
    `ratio ${(oursRate / theirRate).toFixed(2)}x`
  );
}

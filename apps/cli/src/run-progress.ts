import type { ProgressEvent } from '@abc/core';
import { formatDuration } from './progress.js';

/** The events `abc benchmark` and `abc reproduce` print: what their runners' event types have in common. */
export type RunProgressEvent =
  | { type: 'dataset'; dataset: string; phase: string; message?: string }
  | { type: 'start'; done: number; total: number }
  | { type: 'fit'; event: ProgressEvent }
  | { type: 'run'; done: number; total: number; skipped: number; elapsedSeconds: number }
  | { type: 'failed'; done: number; total: number };

/** How a command names its runs. */
export interface RunProgressText<E extends RunProgressEvent> {
  /** The task starting, after the bar and `done/total`. */
  start: (e: Extract<E, { type: 'start' }>) => string;
  /** A finished run's line between `[done/total] ` and `  elapsed … ETA …`. */
  run: (e: Extract<E, { type: 'run' }>) => string;
  /** A failed run's whole line. */
  failed?: (e: Extract<E, { type: 'failed' }>) => string;
}

/**
 * Progress of a resumable run of many fits: a terminal gets a redrawn bar (with the epoch of the fit under way and
 * the ETA) and a line per finished run; anything else a line per finished run (and per dataset event) through `out`.
 */
export function runProgress<E extends RunProgressEvent>(
  out: (s: string) => void,
  stderr: { isTTY?: boolean; write(s: string): unknown } | undefined,
  text: RunProgressText<E>,
): { onEvent: (e: E) => void; done: () => void } {
  const tty = Boolean(stderr?.isTTY);
  let drawn = false;
  let last = '';
  let eta = NaN;
  const draw = (s: string) => {
    stderr!.write(`\r${s}\u001b[K`);
    drawn = true;
  };
  const line = (s: string) => {
    if (tty) {
      stderr!.write(`\r${s}\u001b[K\n`);
      drawn = false;
    } else out(s);
  };
  return {
    onEvent(event) {
      const e: RunProgressEvent = event;
      if (e.type === 'dataset') {
        if (tty && drawn) stderr!.write('\n');
        drawn = false;
        out(`${e.dataset}: ${e.phase}${e.message ? ` (${e.message})` : ''}`);
        return;
      }
      if (e.type === 'start') {
        if (!tty) return;
        const width = 24;
        const filled = Math.round((width * e.done) / Math.max(1, e.total));
        last = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.done}/${e.total} ${text.start(event as Extract<E, { type: 'start' }>)}`;
        draw(`${last}  ETA ${formatDuration(eta)}`);
        return;
      }
      if (e.type === 'fit') {
        if (tty && e.event.unit === 'epoch')
          draw(`${last}  epoch ${e.event.step}/${e.event.totalSteps}  ETA ${formatDuration(eta)}`);
        return;
      }
      if (e.type === 'failed') {
        if (text.failed) line(text.failed(event as Extract<E, { type: 'failed' }>));
        return;
      }
      const ran = e.done - e.skipped;
      eta = ran > 0 ? (e.elapsedSeconds / ran) * Math.max(0, e.total - e.done) : NaN;
      line(
        `[${String(e.done).padStart(String(e.total).length)}/${e.total}] ${text.run(event as Extract<E, { type: 'run' }>)}` +
          `  elapsed ${formatDuration(e.elapsedSeconds)}  ETA ${formatDuration(eta)}`,
      );
    },
    done() {
      if (tty && drawn) stderr!.write('\n');
      drawn = false;
    },
  };
}

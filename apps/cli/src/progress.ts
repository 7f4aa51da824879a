import type { ProgressEvent } from '@abc/core';

/**
 * Fit progress for a terminal (one line redrawn: a bar, step, loss, validation loss, ETA) or for logs and
 * pipes (a plain line per event).
 */
export function progressPrinter(stream: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown }): {
  onProgress: (e: ProgressEvent) => void;
  done: () => void;
} {
  const tty = Boolean(stream.isTTY);
  const start = performance.now();
  let drawn = false;
  return {
    onProgress(e) {
      const elapsed = (performance.now() - start) / 1000;
      const eta = e.step > 0 ? (elapsed / e.step) * Math.max(0, e.totalSteps - e.step) : NaN;
      const first = ['loss', 'valLoss', 'objective'];
      const metrics = Object.entries(e.metrics)
        .filter(([, v]) => Number.isFinite(v))
        .sort(([a], [b]) => rank(a, first) - rank(b, first))
        .slice(0, 3)
        .map(([k, v]) => `${k} ${formatMetric(v)}`)
        .join('  ');
      const head = `${e.unit} ${e.step}/${e.totalSteps}`;
      if (tty) {
        const width = 24;
        const filled = Math.round((width * e.step) / Math.max(1, e.totalSteps));
        const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
        stream.write(`\r[${bar}] ${head}  ${metrics}  ETA ${formatDuration(eta)}\u001b[K`);
        drawn = true;
      } else {
        stream.write(`${head}  ${metrics}  elapsed ${formatDuration(elapsed)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

function formatMetric(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function rank(key: string, first: string[]): number {
  const i = first.indexOf(key);
  return i < 0 ? first.length : i;
}

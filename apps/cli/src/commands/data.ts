import { AbortError } from '@abc/core';
import { fetchDatasets, listDatasets, type CachedFileStatus, type FetchEvent } from '@abc/eval/node';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { interruptOnCtrlC } from '../interrupt.js';
import { formatDuration } from '../progress.js';

export const dataHelp = `abc data: the datasets abc knows, where they are cached, and fetching them

Usage: abc data list [--dir DIR] [--no-verify] [--json]
       abc data fetch NAME... [--dir DIR] [--mirror URL]... [--timeout SECONDS] [--retries N]

  NAME            mnist, fashion-mnist, kdd99, cifar10, adbench/<file name without .npz> (abc data list shows
                  them), or adbench for all ADBench files
  --dir DIR       the data folder (default env ABC_DATA_DIR, else the cache folder: $XDG_CACHE_HOME/abc or
                  ~/.cache/abc on Linux, ~/Library/Caches/abc on macOS, %LOCALAPPDATA%\\abc\\Cache on Windows);
                  it gets the --data-dir layout: mnist/, fashion-mnist/, kddcup99/, cifar10/, adbench/
  --mirror URL    a base address holding the same relative paths (URL/mnist/train-images-idx3-ubyte.gz, ...),
                  tried before the publishers' addresses (repeatable)
  --timeout S     give up on an address after S seconds without data (default 30)
  --retries N     attempts per address after the first (default 3, with backoff)
  --no-verify     list: do not hash the files (faster; shows them as unchecked)
  --json          list: print JSON

Downloads resume after an interruption (Ctrl-C keeps the partial file), are written atomically under a lock,
and are verified (MD5 or SHA-256; a mismatch deletes the file). HTTPS_PROXY, HTTP_PROXY and NO_PROXY are
honoured. Without network, place the files by hand in the layout above (the error names each address).
`;

function megabytes(n: number): string {
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
}

const STATE_LABEL: Record<CachedFileStatus['state'], string> = {
  verified: 'verified',
  recorded: 'matches the checksum recorded at its first download (none published)',
  unchecked: 'present, not verified',
  mismatch: 'CHECKSUM MISMATCH: fetch it again',
  partial: 'partial download (abc data fetch resumes it)',
  missing: 'missing',
};

async function runDataList(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    { dir: { type: 'string' }, 'no-verify': { type: 'boolean' }, json: { type: 'boolean' } },
    'data list',
  );
  if (values.help) {
    out(dataHelp);
    return 0;
  }
  const { dir, datasets } = await listDatasets({ dir: str(values, 'dir'), verify: !values['no-verify'] });
  if (values.json) {
    out(
      JSON.stringify(
        {
          dir: dir.dir,
          from: dir.from,
          datasets: datasets.map((d) => ({
            name: d.entry.name,
            title: d.entry.title,
            complete: d.complete,
            files: d.files.map((f, i) => ({
              ...f,
              urls: d.entry.files[i].urls,
              checksum: d.entry.files[i].checksum,
              verifiedHere: d.entry.files[i].verifiedHere,
            })),
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const from = dir.from === 'option' ? '--dir' : dir.from === 'ABC_DATA_DIR' ? 'ABC_DATA_DIR' : 'the cache folder';
  out(`Data folder: ${dir.dir} (${from})`);
  for (const d of datasets) {
    const states = new Set(d.files.map((f) => f.state));
    const status = d.complete
      ? states.has('unchecked')
        ? 'cached'
        : 'cached, verified'
      : states.has('mismatch')
        ? 'DAMAGED'
        : d.files.some((f) => f.state !== 'missing')
          ? 'incomplete'
          : 'not cached';
    const size = d.files.reduce((s, f) => s + (f.expectedBytes ?? 0), 0);
    const unknownSize = d.files.some((f) => f.expectedBytes === null);
    const trust = d.entry.files.every((f) => f.verifiedHere)
      ? ''
      : d.entry.files.some((f) => f.checksum)
        ? '  (published checksum)'
        : '  (no checksum known)';
    out(
      `${d.entry.name.padEnd(26)} ${status.padEnd(17)} ${unknownSize ? '       ?' : megabytes(size).padStart(8)}  ${d.entry.title}${trust}`,
    );
    if (!d.complete || states.has('mismatch')) {
      for (const f of d.files) if (f.state !== 'missing' || states.size > 1) out(`    ${f.path}: ${STATE_LABEL[f.state]}`);
    }
  }
  out('Fetch with: abc data fetch NAME... (abc data fetch --help)');
  return 0;
}

/** Download progress: a redrawn bar on a terminal; elsewhere a line when a file starts, at each quarter, and when it ends. */
function fetchPrinter(
  out: (s: string) => void,
  stderr: { isTTY?: boolean; write(s: string): unknown },
): { onEvent: (e: FetchEvent) => void; done: () => void } {
  const tty = Boolean(stderr.isTTY);
  let drawn = false;
  let quarter = 0;
  let started = performance.now();
  const endLine = () => {
    if (drawn) stderr.write('\n');
    drawn = false;
  };
  return {
    onEvent(e) {
      if (e.type === 'start') {
        quarter = 0;
        started = performance.now();
        if (!tty) out(`${e.file.path}: fetching`);
        return;
      }
      if (e.type === 'progress') {
        const { received, total, url } = e.progress;
        if (tty) {
          const frac = total ? received / total : 0;
          const width = 24;
          const filled = Math.round(width * frac);
          const rate = received / Math.max(1e-3, (performance.now() - started) / 1000);
          const eta = total ? (total - received) / Math.max(1, rate) : NaN;
          const host = new URL(url).host;
          stderr.write(
            `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.file.path} ${megabytes(received)}${total ? `/${megabytes(total)}` : ''} from ${host}  ETA ${formatDuration(eta)}\u001b[K`,
          );
          drawn = true;
        } else if (total) {
          const q = Math.floor((4 * received) / total);
          if (q > quarter && q < 4) {
            quarter = q;
            out(`${e.file.path}: ${q * 25}% (${megabytes(received)} of ${megabytes(total)})`);
          }
        }
        return;
      }
      endLine();
      const f = e.file;
      const how =
        f.verification === 'catalogue'
          ? 'verified'
          : f.verification === 'recorded'
            ? 'matches its recorded SHA-256'
            : `not verified (no checksum known): recorded its SHA-256 ${f.sha256}`;
      out(`${f.path}: ${f.skipped ? 'already there, ' : `${megabytes(f.bytes)} from ${f.url}, `}${how}`);
    },
    done: endLine,
  };
}

/** Where `abc data fetch` writes progress; tests pass their own stream and signal. */
export interface DataIO {
  signal?: AbortSignal;
  stderr?: { isTTY?: boolean; write(s: string): unknown };
}

function positiveNumber(values: Record<string, unknown>, name: string): number | undefined {
  const v = str(values as never, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || v.trim() === '')
    throw new UsageError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
}

async function runDataFetch(argv: string[], out: (s: string) => void, io: DataIO): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      dir: { type: 'string' },
      mirror: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      retries: { type: 'string' },
    },
    'data fetch',
    true,
  );
  if (values.help) {
    out(dataHelp);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('abc data fetch needs at least one dataset name (abc data list shows them)');
  const mirrors = (values.mirror as string[] | undefined) ?? [];
  for (const m of mirrors) {
    if (!/^https?:\/\//i.test(m)) throw new UsageError(`--mirror takes an http:// or https:// base address, got "${m}"`);
  }
  const timeout = positiveNumber(values, 'timeout');
  const retries = positiveNumber(values, 'retries');
  if (retries !== undefined && !Number.isInteger(retries))
    throw new UsageError(`--retries must be a whole number, got ${retries}`);
  const interrupt = interruptOnCtrlC(io.signal);
  const printer = fetchPrinter(out, io.stderr ?? process.stderr);
  const t0 = performance.now();
  try {
    const { dir, files } = await fetchDatasets(positionals, {
      dir: str(values, 'dir'),
      mirrors,
      signal: interrupt.signal,
      onEvent: printer.onEvent,
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      ...(retries !== undefined ? { retries } : {}),
    });
    printer.done();
    const fetched = files.filter((f) => !f.skipped);
    out(
      `${fetched.length} file(s) downloaded (${megabytes(fetched.reduce((s, f) => s + f.bytes, 0))}), ${files.length - fetched.length} already there, ` +
        `in ${formatDuration((performance.now() - t0) / 1000)}. Data folder: ${dir} (use --data-dir ${dir}, or ABC_DATA_DIR)`,
    );
    return 0;
  } catch (e) {
    printer.done();
    if (interrupt.signal.aborted) throw new AbortError('interrupted: the partial file is kept; rerun the same command to resume');
    throw e;
  } finally {
    interrupt.dispose();
  }
}

/**
 * `abc data list` and `abc data fetch NAME...`: what the catalogue knows and what is cached, and downloading.
 *
 * @example
 * await runData(['fetch', 'mnist', '--mirror', 'http://127.0.0.1:8080/'], console.log);
 */
export async function runData(argv: string[], out: (s: string) => void, io: DataIO = {}): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return runDataList(rest, out);
  if (sub === 'fetch') return runDataFetch(rest, out, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out(dataHelp);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown subcommand "data ${sub}": use abc data list or abc data fetch NAME...`);
}

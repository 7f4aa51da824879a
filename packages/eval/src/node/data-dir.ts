import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the data folder comes from: an explicit folder, `ABC_DATA_DIR`, or the platform's cache folder. */
export interface DataDirChoice {
  readonly dir: string;
  readonly from: 'option' | 'ABC_DATA_DIR' | 'cache';
}

/** What {@link defaultDataDir} reads; tests pass their own. */
export interface DataDirEnvironment {
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The platform's cache folder for datasets: `$XDG_CACHE_HOME/abc` (else `~/.cache/abc`) on Linux and the other
 * Unixes, `~/Library/Caches/abc` on macOS, `%LOCALAPPDATA%\abc\Cache` on Windows (as the usual cache-folder
 * conventions of each platform).
 *
 * @example
 * cacheDataDir({ env: { XDG_CACHE_HOME: '/tmp/c' }, platform: 'linux' });   // '/tmp/c/abc'
 */
export function cacheDataDir(options: DataDirEnvironment = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'abc');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'abc', 'Cache');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'abc');
}

/**
 * The data folder `abc data fetch` writes and every loader reads when none is given: `dir` when given, else
 * `ABC_DATA_DIR`, else {@link cacheDataDir}. It holds `mnist/`, `fashion-mnist/`, `kddcup99/`, `cifar10/` and
 * `adbench/` (the `--data-dir` layout).
 *
 * @example
 * defaultDataDir(undefined, { env: { ABC_DATA_DIR: 'data' } });   // { dir: 'data', from: 'ABC_DATA_DIR' }
 */
export function defaultDataDir(dir?: string, options: DataDirEnvironment = {}): DataDirChoice {
  if (dir) return { dir, from: 'option' };
  const env = options.env ?? process.env;
  if (env.ABC_DATA_DIR) return { dir: env.ABC_DATA_DIR, from: 'ABC_DATA_DIR' };
  return { dir: cacheDataDir(options), from: 'cache' };
}

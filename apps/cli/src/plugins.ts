import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listDetectors } from '@abc/core';
import { UsageError } from './errors.js';

/**
 * Plugins: modules that register detectors when imported. They come from `--plugin MODULE` (repeatable; a
 * package name resolved from the working directory, or a path to a file or package folder) and from the
 * project's config: `abc.config.json` `{ "plugins": [...] }` or the `"abc": { "plugins": [...] }` field of
 * package.json in the working directory.
 */
export function takePluginFlags(argv: string[]): { rest: string[]; plugins: string[] } {
  const rest: string[] = [];
  const plugins: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--plugin') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError('--plugin needs a module name or path');
      plugins.push(v);
    } else if (a.startsWith('--plugin=')) plugins.push(a.slice('--plugin='.length));
    else rest.push(a);
  }
  return { rest, plugins };
}

export function configuredPlugins(cwd: string): string[] {
  const fromFile = join(cwd, 'abc.config.json');
  if (existsSync(fromFile)) return readPluginList(fromFile, (j) => j.plugins);
  const pkg = join(cwd, 'package.json');
  if (existsSync(pkg)) return readPluginList(pkg, (j) => (j.abc as Record<string, unknown> | undefined)?.plugins);
  return [];
}

function readPluginList(file: string, pick: (json: Record<string, unknown>) => unknown): string[] {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const list = pick(json);
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string'))
    throw new UsageError(`${file}: "plugins" must be a list of module names`);
  return list as string[];
}

/** A plugin this process loaded: as named (`--plugin` or the config) and the file imported. */
export interface LoadedPlugin {
  spec: string;
  file: string;
}

const loaded: LoadedPlugin[] = [];
const pluginOf = new Map<string, string>();

/** Imports each plugin module; errors name the plugin. */
export async function loadPlugins(specs: readonly string[], cwd: string): Promise<void> {
  for (const spec of specs) {
    const file = resolvePlugin(spec, cwd);
    const before = new Set(listDetectors().map((e) => e.name));
    try {
      await import(pathToFileURL(file).href);
    } catch (e) {
      throw new UsageError(`plugin "${spec}" (${file}) failed to load: ${(e as Error).message}`);
    }
    loaded.push({ spec, file });
    for (const e of listDetectors()) if (!before.has(e.name)) pluginOf.set(e.name, spec);
  }
}

/** The plugins loaded so far (`abc worker` hands their files to its job processes). */
export function loadedPlugins(): readonly LoadedPlugin[] {
  return loaded;
}

/** The plugin (as named) that registered a detector, or undefined for a built-in one (queue jobs record it). */
export function pluginOfDetector(name: string): string | undefined {
  return pluginOf.get(name);
}

const fromSource = process.execArgv.some((a) => a.includes('@abc/source')) || process.env.NODE_OPTIONS?.includes('@abc/source');

function resolvePlugin(spec: string, cwd: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const p = resolve(cwd, spec);
    if (!existsSync(p)) throw new UsageError(`plugin "${spec}": ${p} does not exist`);
    return statSync(p).isDirectory() ? packageEntry(p, spec) : p;
  }
  // A package name: look in node_modules folders from the working directory upwards.
  const [name, sub] = splitSpecifier(spec);
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return packageEntry(candidate, spec, sub);
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(`plugin "${spec}" is not installed: no node_modules/${name} from ${cwd} upwards`);
}

function splitSpecifier(spec: string): [string, string] {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return [parts.slice(0, n).join('/'), parts.length > n ? `./${parts.slice(n).join('/')}` : '.'];
}

function packageEntry(dir: string, spec: string, sub = '.'): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  let target: unknown =
    pkg.exports !== undefined
      ? typeof pkg.exports === 'string' || !Object.keys(pkg.exports).some((k) => k.startsWith('.'))
        ? sub === '.'
          ? pkg.exports
          : undefined
        : pkg.exports[sub]
      : sub === '.'
        ? (pkg.module ?? pkg.main ?? 'index.js')
        : sub;
  const conditions = [...(fromSource ? ['@abc/source'] : []), 'import', 'node', 'default'];
  while (target && typeof target === 'object') {
    const key = conditions.find((c) => c in (target as Record<string, unknown>));
    target = key ? (target as Record<string, unknown>)[key] : undefined;
  }
  if (typeof target !== 'string') throw new UsageError(`plugin "${spec}": ${dir}/package.json exports nothing for "${sub}"`);
  const file = resolve(dir, target);
  if (!existsSync(file)) throw new UsageError(`plugin "${spec}": ${file} does not exist (is the package built?)`);
  return file;
}

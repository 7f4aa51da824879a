/**
 * The house rules of the package graph, checked on the sources (DESIGN.md, "The flow of data"):
 * core <- engine <- models / baselines; onnx-export, eval read only core; search composes eval; serve reads
 * core and onnx-export; apps and
 * examples compose everything. No arrow back up, and no import cycle between the source files of a package
 * (type-only imports included: a type-level loop is a design loop too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Which workspace packages each library package may import (its `src/`), and the one allowed exception. */
const ALLOWED: Record<string, { may: string[]; except?: Record<string, string[]> }> = {
  core: { may: [] },
  engine: { may: ['@abc/core'] },
  models: { may: ['@abc/core', '@abc/engine'] },
  // The deprecated DNN re-export (one minor version) is the only place baselines reaches models.
  baselines: { may: ['@abc/core', '@abc/engine'], except: { 'src/deprecated-dnn.ts': ['@abc/models'] } },
  'onnx-export': { may: ['@abc/core'] },
  eval: { may: ['@abc/core'] },
  search: { may: ['@abc/core', '@abc/eval'] },
  // The scoring server reads model files through core and runs ONNX through onnx-export.
  serve: { may: ['@abc/core', '@abc/onnx-export'] },
  // The work queue composes like an app: its workers register the detectors and run eval's and search's work.
  queue: { may: ['@abc/core', '@abc/eval', '@abc/search', '@abc/models', '@abc/baselines'] },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

/** Module specifiers of `import ... from`, `export ... from` and `import('...')`, comments stripped. */
function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g),
    ...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ...code.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g),
  ];
  return specs.map((m) => m[1]);
}

const workspacePackage = (spec: string) => /^@abc\/[^/]+/.exec(spec)?.[0];

describe('the package graph', () => {
  it.each(Object.keys(ALLOWED))('%s imports only the packages below it', (pkg) => {
    const dir = join(root, 'packages', pkg);
    const { may, except = {} } = ALLOWED[pkg];
    const bad: string[] = [];
    for (const file of sourceFiles(join(dir, 'src'))) {
      const rel = relative(dir, file);
      for (const spec of imports(file)) {
        const target = workspacePackage(spec);
        if (target && target !== `@abc/${pkg}` && !may.includes(target) && !(except[rel] ?? []).includes(target))
          bad.push(`${rel} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const declared = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@abc/'));
    const allowed = [...may, ...Object.values(except).flat()];
    expect(
      declared.filter((d) => !allowed.includes(d)),
      `${pkg}/package.json dependencies`,
    ).toEqual([]);
  });

  it("the engine's browser entry uses no Node module (only src/node/ does)", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(join(root, 'packages/engine/src'))) {
      if (file.includes(`${join('src', 'node')}`)) continue;
      for (const spec of imports(file))
        if (spec.startsWith('node:') || spec.includes('/node/')) bad.push(`${relative(root, file)} imports ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});

/** The cycles of a graph (each reported once, from its smallest node), by depth-first search. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (n: string) => {
    seen.add(n);
    stack.push(n);
    onStack.add(n);
    for (const m of graph.get(n) ?? []) {
      if (onStack.has(m)) found.push(stack.slice(stack.indexOf(m)));
      else if (!seen.has(m)) visit(m);
    }
    stack.pop();
    onStack.delete(n);
  };
  for (const n of [...graph.keys()].sort()) if (!seen.has(n)) visit(n);
  return found;
}

describe('no import cycle inside a package', () => {
  const packages = [...readdirSync(join(root, 'packages')), ...readdirSync(join(root, 'apps')).map((a) => `../apps/${a}`)];
  it.each(packages)('%s', (pkg) => {
    const src = join(root, 'packages', pkg, 'src');
    let files: string[];
    try {
      files = sourceFiles(src);
    } catch {
      return; // no src/
    }
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const targets = imports(file)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
        .map((t) => (files.includes(t) ? t : files.includes(t.replace(/\.ts$/, '.tsx')) ? t.replace(/\.ts$/, '.tsx') : t));
      graph.set(
        file,
        targets.filter((t) => files.includes(t)),
      );
    }
    const loops = cycles(graph).map((c) => c.map((f) => relative(src, f)).join(' -> '));
    expect(loops).toEqual([]);
  });
});

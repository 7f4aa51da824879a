#!/usr/bin/env node
/**
 * The `abc` command line: list, fit, score, export, evaluate, search, reproduce, demo. `pnpm abc ...` runs it from source right after `pnpm install`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import '@abc/models';
import { registerThreadedWasmKernel } from '@abc/engine/node';
import '@abc/baselines';
import { runDemo, demoHelp } from './commands/demo.js';
import { runEvaluate, evaluateHelp } from './commands/evaluate.js';
import { runFit, fitHelp } from './commands/fit.js';
import { runScore, scoreHelp } from './commands/score.js';
import { runExport, exportHelp } from './commands/export.js';
import { runReproduce, reproduceHelp } from './commands/reproduce.js';
import { runBenchmark, benchmarkHelp } from './commands/benchmark.js';
import { runSearch, searchHelp } from './commands/search.js';
import { runList, listHelp } from './commands/list.js';
import { runData, dataHelp } from './commands/data.js';
import { runServe, serveHelp } from './commands/serve.js';
import { runWorker, workerHelp } from './commands/worker.js';
import { EXIT, exitCodeFor, UsageError } from './errors.js';
import { configuredPlugins, loadPlugins, takePluginFlags } from './plugins.js';

const commands: Record<string, { run: (argv: string[], out: (s: string) => void) => Promise<number>; help: string }> = {
  list: { run: runList, help: listHelp },
  fit: { run: runFit, help: fitHelp },
  score: { run: runScore, help: scoreHelp },
  export: { run: runExport, help: exportHelp },
  evaluate: { run: runEvaluate, help: evaluateHelp },
  search: { run: runSearch, help: searchHelp },
  reproduce: { run: runReproduce, help: reproduceHelp },
  benchmark: { run: runBenchmark, help: benchmarkHelp },
  data: { run: runData, help: dataHelp },
  serve: { run: runServe, help: serveHelp },
  worker: { run: runWorker, help: workerHelp },
  demo: { run: runDemo, help: demoHelp },
};

export const mainHelp = `abc: anomaly detection with Autoencoding Binary Classifiers

Usage: abc <command> [flags]     (abc <command> --help for each)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.help.split('\n')[0].replace(/^abc \w+: /, '')}`)
  .join('\n')}

Every command takes --plugin MODULE (repeatable): a module that registers detectors when imported (also
read from abc.config.json { "plugins": [...] } or package.json "abc": { "plugins": [...] }).

Training uses the WebAssembly SIMD engine on two threads where that is faster here (ABC_KERNEL=wasm-simd: one
thread; ABC_KERNEL=ts: plain TypeScript).

Exit codes: 0 ok, 1 internal error, 2 bad usage or input, 3 unreadable model file, 4 backend unavailable,
5 a download failed, 130 interrupted.
`;

/** Runs one command line; returns the exit code (used by the tests without spawning a process). */
export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  let plugins: string[];
  try {
    ({ rest: argv, plugins } = takePluginFlags(argv));
  } catch (e) {
    err(`abc: ${(e as Error).message}`);
    return exitCodeFor(e);
  }
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(mainHelp);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`);
    await loadPlugins([...configuredPlugins(process.cwd()), ...plugins], process.cwd());
    return await command.run(rest, out);
  } catch (e) {
    const code = exitCodeFor(e);
    err(`abc ${name}: ${(e as Error).message}`);
    if (code === EXIT.internal && (e as Error).stack) err((e as Error).stack!);
    return code;
  }
}

// Run when this file is the entry point: `tsx apps/cli/src/main.ts`, `node dist/main.js`, or the installed `abc`
// bin, which npm and pnpm link as node_modules/.bin/abc (a symlink, so compare real paths).
const invokedDirectly = process.argv[1] && (/main\.(ts|js)$/.test(process.argv[1]) || isEntryPoint(process.argv[1]));
function isEntryPoint(argv1: string): boolean {
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly) {
  // Networks use both cores where a timed product says two threads are faster (wasm-simd-2t, 'auto'); the
  // calibration runs once, when the first network is made. ABC_KERNEL=wasm-simd keeps one thread. (@abc/models'
  // Node entry registers it as well; saying it here keeps the CLI's choice explicit.)
  registerThreadedWasmKernel();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/**
 * Parses a command's flags strictly; an unknown flag or a missing value is a UsageError naming it. Positional
 * arguments are refused unless `allowPositionals` (then returned in order).
 */
export function parseFlags(
  argv: string[],
  options: FlagSpec,
  command: string,
  allowPositionals = false,
): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
    });
    return { values: values as FlagValues, positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; see abc ${command} --help`);
  }
}

/** A string flag's value (the last one when repeated). */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

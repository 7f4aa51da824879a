import { listDetectors, type ParamSpec } from '@abc/core';
import { parseFlags } from '../args.js';

export const listHelp = `abc list: the registered detectors, with supervision kind and parameters

Usage: abc list [--json]

  --json   print the entries as JSON (name, supervision, hasProbability, description, params)
`;

function describeSpec(name: string, s: ParamSpec): string {
  const def = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
  const kind = s.type === 'choice' ? s.choices.join('|') : s.type;
  return `    ${name}=${def}  (${kind}) ${s.description}`;
}

export async function runList(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' } }, 'list');
  if (values.help) {
    out(listHelp);
    return 0;
  }
  const entries = listDetectors();
  if (values.json) {
    out(
      JSON.stringify(
        entries.map((e) => ({
          name: e.name,
          supervision: e.supervision,
          hasProbability: e.hasProbability,
          description: e.description,
          params: e.paramSpace,
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  for (const e of entries) {
    out(`${e.name}  [${e.supervision}${e.hasProbability ? ', probability' : ''}]  ${e.description}`);
    for (const [k, s] of Object.entries(e.paramSpace)) out(describeSpec(k, s));
  }
  return 0;
}

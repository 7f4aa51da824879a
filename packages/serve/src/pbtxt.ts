/**
 * A reader for protobuf text format (the syntax of Triton's config.pbtxt), with no schema: it gives every field
 * as a list of values (a field may repeat, or hold a `[ ... ]` list), so the caller decides which fields are
 * scalars. Covers what Triton configs use: `#` comments, `field: value` and `field { ... }` (the colon before a
 * message is optional, `< >` works too), `field: [ v, ... ]`, double- or single-quoted strings with C escapes
 * (adjacent ones join), numbers (integers, decimals, exponents, hex, `inf`/`nan`), identifiers (enum values,
 * `true`/`false`), and `,` or `;` between fields. Not covered: extensions (`[pkg.ext]`) and `Any` expansions.
 */
import { ModelFormatError } from '@abc/core';

/** A message: its fields by name, each with the values it was given, in order. Keys have no prototype. */
export type PbMessage = { [field: string]: PbValue[] };
/** A value: a quoted string, a number, an identifier (an enum value or `true`/`false`, kept as its text), a message. */
export type PbValue = string | number | PbIdentifier | PbMessage;

/** An unquoted identifier (`TYPE_FP32`, `KIND_CPU`, `true`), kept apart from a quoted string. */
export class PbIdentifier {
  constructor(readonly text: string) {}
}

type Token =
  | { kind: 'punct'; text: string; line: number }
  | { kind: 'ident'; text: string; line: number }
  | { kind: 'string'; text: string; line: number }
  | { kind: 'number'; value: number; text: string; line: number };

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  "'": "'",
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '?': '?',
};

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new ModelFormatError(`${file} line ${line}: ${msg}`);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ('{}[]<>:,;'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      let s = '';
      i++;
      while (true) {
        if (i >= text.length || text[i] === '\n') fail('a string is not closed on its line');
        const d = text[i];
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          if (e !== undefined && e in ESCAPES) {
            s += ESCAPES[e];
            i += 2;
          } else if (e === 'x' && /^[0-9a-fA-F]{1,2}/.test(text.slice(i + 2, i + 4))) {
            const hex = text.slice(i + 2, i + 4).match(/^[0-9a-fA-F]{1,2}/)![0];
            s += String.fromCharCode(Number.parseInt(hex, 16));
            i += 2 + hex.length;
          } else if (e !== undefined && /[0-7]/.test(e)) {
            const oct = text.slice(i + 1, i + 4).match(/^[0-7]{1,3}/)![0];
            s += String.fromCharCode(Number.parseInt(oct, 8));
            i += 1 + oct.length;
          } else {
            fail(`unknown escape "\\${e ?? ''}" in a string`);
          }
        } else {
          s += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text: s, line });
    } else {
      const m = text
        .slice(i)
        .match(/^[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?|inf(?:inity)?|nan)(?![\w.])/i);
      if (m && (/\d/.test(m[0]) || /^[-+]/.test(m[0]))) {
        const t = m[0];
        const unsigned = t.replace(/^[-+]/, '').toLowerCase();
        const body = unsigned.startsWith('0x') ? unsigned : unsigned.replace(/f$/, '');
        let value: number;
        if (body.startsWith('0x')) value = Number.parseInt(body, 16);
        else if (body.startsWith('inf')) value = Number.POSITIVE_INFINITY;
        else if (body === 'nan') value = Number.NaN;
        else value = Number(body);
        tokens.push({ kind: 'number', value: t.startsWith('-') ? -value : value, text: t, line });
        i += t.length;
      } else {
        const id = text.slice(i).match(/^[A-Za-z_][A-Za-z0-9_]*/);
        if (!id) fail(`unexpected character ${JSON.stringify(c)}`);
        tokens.push({ kind: 'ident', text: id![0], line });
        i += id![0].length;
      }
    }
  }
  return tokens;
}

/**
 * Parses protobuf text format into a {@link PbMessage}. Throws a `ModelFormatError` naming the file and line
 * of the first syntax error.
 *
 * @example
 * const m = parsePbtxt('name: "fraud"\nmax_batch_size: 8\ninput [ { name: "X" dims: [ 2 ] } ]');
 * m.max_batch_size;            // [8]
 * (m.input[0] as PbMessage).dims;   // [2]
 */
export function parsePbtxt(text: string, file = 'config.pbtxt'): PbMessage {
  const tokens = tokenize(text, file);
  let k = 0;
  const lastLine = tokens.length ? tokens[tokens.length - 1].line : 1;
  const fail = (msg: string, t: Token | undefined = tokens[k]): never => {
    throw new ModelFormatError(`${file} line ${t?.line ?? lastLine}: ${msg}`);
  };
  const describe = (t: Token | undefined) => (t ? `"${t.text}"` : 'the end of the file');
  const isPunct = (text: string) => tokens[k]?.kind === 'punct' && tokens[k].text === text;

  const scalar = (): PbValue => {
    const t = tokens[k];
    if (t?.kind === 'string') {
      let s = t.text;
      k++;
      while (tokens[k]?.kind === 'string') s += tokens[k++].text;
      return s;
    }
    if (t?.kind === 'number') {
      k++;
      return t.value;
    }
    if (t?.kind === 'ident') {
      k++;
      return new PbIdentifier(t.text);
    }
    return fail(`expected a value, found ${describe(t)}`);
  };

  const message = (close: string | undefined): PbMessage => {
    const out: PbMessage = Object.create(null);
    while (true) {
      if (close === undefined ? k >= tokens.length : isPunct(close)) {
        if (close !== undefined) k++;
        return out;
      }
      const t = tokens[k];
      if (t === undefined) return fail(`expected "${close}" before the end of the file`);
      if (t.kind !== 'ident') return fail(`expected a field name, found ${describe(t)}`);
      k++;
      const name = t.text;
      if (!out[name]) out[name] = [];
      const values = out[name];
      const hasColon = isPunct(':');
      if (hasColon) k++;
      const value = (): void => {
        if (isPunct('{') || isPunct('<')) {
          const open = tokens[k++].text;
          values.push(message(open === '{' ? '}' : '>'));
        } else {
          if (!hasColon) fail(`field "${name}" needs ":" before a scalar value`);
          values.push(scalar());
        }
      };
      if (isPunct('[')) {
        k++;
        if (isPunct(']')) {
          k++;
        } else {
          while (true) {
            value();
            if (isPunct(',')) {
              k++;
              continue;
            }
            if (isPunct(']')) {
              k++;
              break;
            }
            fail(`expected "," or "]" in the list of "${name}", found ${describe(tokens[k])}`);
          }
        }
      } else {
        value();
      }
      if (isPunct(',') || isPunct(';')) k++;
    }
  };

  return message(undefined);
}

import { UnsupportedExportError } from '@abc/core';

/** Spec checks: a malformed spec raises `UnsupportedExportError` naming the field, never yields a wrong graph. */

export function checkVector(v: unknown, n: number, what: string): Float32Array {
  if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
    throw new UnsupportedExportError(`${what} must be a Float32Array of length ${n}, got ${typeName(v)}`);
  }
  if (v.length !== n) throw new UnsupportedExportError(`${what} has ${v.length} values, expected ${n}`);
  const out = Float32Array.from(v as ArrayLike<number>);
  checkFinite(out, what);
  return out;
}

export function checkFinite(v: ArrayLike<number>, what: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]))
      throw new UnsupportedExportError(`${what}[${i}] is ${v[i]}; an exported model needs finite values`);
  }
}

export function checkInt(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new UnsupportedExportError(`${what} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

export function describeKind(spec: unknown): string {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? `"${kind}"` : String(kind);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/**
 * The largest float32 that is <= t. For a float32 score s, `s > t` (compared in float64, as `predict` does)
 * is exactly `s > lowerFloat32(t)` in float32, so the exported `label` equals `predict` bit for bit.
 */
export function lowerFloat32(t: number): number {
  const f = Math.fround(t);
  if (f <= t || !Number.isFinite(f)) return f === Infinity && t < Infinity ? 3.4028234663852886e38 : f;
  // f rounded up: step one float32 down.
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  if (f > 0) bits[0] -= 1;
  else if (f < 0) bits[0] += 1;
  else return -1.401298464324817e-45;
  return buf[0];
}

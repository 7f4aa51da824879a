/** Small helpers shared by the WebAssembly kernels: base64 decoding of the embedded modules, dense copies in and out of linear memory. Browser-safe. */

/** Decodes base64 without Buffer or atob (both absent in some runtimes). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lookup = new Uint8Array(128);
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;
  let len = text.length;
  while (len > 0 && text[len - 1] === '=') len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    acc = (acc << 6) | lookup[text.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Rounds up to a multiple of 16 bytes. */
export function align16(x: number): number {
  return (x + 15) & ~15;
}

/** Copies a rows × cols matrix with row stride ld from src[off] into dst[at] densely (row stride cols). */
export function copyIn(dst: Float32Array, at: number, src: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(off, off + rows * cols), at);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), at + r * cols);
}

/** Copies the dense rows × cols matrix at src[at] out to dst[off] with row stride ld. */
export function copyOut(src: Float32Array, at: number, dst: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(at, at + rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(at + r * cols, at + (r + 1) * cols), off + r * ld);
}

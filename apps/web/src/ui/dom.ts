/** Attributes and properties for {@link el}: strings become attributes, `text` sets textContent. */
export type ElProps = Record<string, string | number | boolean | undefined> & { text?: string };

/**
 * Creates an element with attributes (false/undefined skipped, true as an empty attribute) and children.
 *
 * @example
 * el('label', { for: 'epochs', text: 'Epochs' });
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElProps = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = String(v);
    else if (v === true) node.setAttribute(k, '');
    else if (v !== false && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

/** The element with this id, typed (throws when the page lacks it). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/**
 * Offers bytes as a file download (an object URL on a temporary link).
 *
 * @example
 * download(model, 'abc.abc', 'application/octet-stream');
 */
export function download(bytes: Uint8Array, fileName: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = el('a', { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A number for tables: 3 decimals, or a dash for null. */
export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/**
 * A whole number with commas between groups of three digits. Written out rather than `toLocaleString`, whose first
 * call in a page loads the browser's locale data (75-100 ms measured here: a main-thread long task on its own).
 *
 * @example
 * fmtCount(100000); // '100,000'
 */
export function fmtCount(n: number): string {
  const text = String(Math.trunc(n));
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

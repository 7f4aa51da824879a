import type { CsvPreview } from '../data/inspect.js';
import { defaultRole, type DatasetChoice, type KindRole } from '../data/dataset.js';
import type { DetectorInfo } from '../train/protocol.js';
import { byId, el, fmtCount } from './dom.js';

/** Detectors ticked by default. */
const DEFAULT_DETECTORS = new Set(['abc']);
/** Detectors listed first (the paper's comparison), the other registered ones after them. */
const FIRST = ['abc', 'gtb', 'iforest', 'ae'];

function option(value: string, text: string, selected = false): HTMLOptionElement {
  const o = el('option', { value, text });
  o.selected = selected;
  return o;
}

/** Renders the preview table of a loaded CSV. */
export function renderPreview(p: CsvPreview): void {
  const head = el(
    'tr',
    {},
    p.columns.map((c) => el('th', { scope: 'col', text: `${c.name} (${c.type})` })),
  );
  const body = p.head.map((r) =>
    el(
      'tr',
      {},
      r.map((v) => el('td', { text: v })),
    ),
  );
  byId('preview').replaceChildren(el('table', { 'aria-label': 'first rows of the file' }, [head, ...body]));
  byId('data-status').textContent = `${p.name}: ${fmtCount(p.rows)} rows, ${p.columns.length} columns. First rows:`;
}

/** Fills the label, kind and feature controls for a loaded CSV, with defaults from the column names and types. */
export function renderColumns(p: CsvPreview): void {
  const label = byId<HTMLSelectElement>('label');
  const kind = byId<HTMLSelectElement>('kind');
  const labelGuess = p.columns.find((c) => /^(label|target|anomaly|is_anomaly|outlier)$/i.test(c.name))?.name ?? '';
  const kindGuess = p.columns.find((c) => c.type === 'string' && /^kind$/i.test(c.name))?.name ?? '';
  label.replaceChildren(
    option('', '(none)'),
    ...p.columns.map((c) => option(c.name, c.name, c.name === labelGuess && c.name !== kindGuess)),
  );
  kind.replaceChildren(option('', '(none)'), ...p.columns.map((c) => option(c.name, c.name, c.name === kindGuess)));
  const features = byId('features');
  const boxes = p.columns.map((c, j) => {
    const id = `feature-${j}`;
    const input = el('input', { type: 'checkbox', id, value: c.name, 'data-type': c.type });
    input.checked = c.type === 'number' && c.name !== labelGuess && c.name !== kindGuess;
    return el('label', { for: id }, [input, ` ${c.name}`]);
  });
  features.replaceChildren(el('legend', { text: 'Features' }), ...boxes);
  const refreshRoles = () => renderRoles(p);
  kind.onchange = refreshRoles;
  refreshRoles();
}

function renderRoles(p: CsvPreview): void {
  const roles = byId('roles');
  const name = byId<HTMLSelectElement>('kind').value;
  const col = p.columns.find((c) => c.name === name);
  if (!col?.values) {
    roles.hidden = true;
    roles.replaceChildren(el('legend', { text: 'Role of each kind value' }));
    return;
  }
  const rows = col.values.map((v, k) => {
    const id = `role-${k}`;
    const select = el(
      'select',
      { id, 'data-value': v },
      (['normal', 'known', 'unknown'] as const).map((r) =>
        option(
          r,
          r === 'known' ? 'known anomaly (trained on)' : r === 'unknown' ? 'unknown anomaly (held out)' : 'normal',
          r === defaultRole(v),
        ),
      ),
    );
    return el('span', {}, [el('label', { for: id, text: `${v}: ` }), select, ' ']);
  });
  roles.replaceChildren(el('legend', { text: 'Role of each kind value (unknown anomalies are held out of training)' }), ...rows);
  roles.hidden = false;
}

/** Lists the registered detectors the worker reported as checkboxes (keeping the user's ticks). */
export function renderDetectors(list: readonly DetectorInfo[]): void {
  const box = byId('detectors');
  const ticked = new Set([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  const had = box.querySelector('input') !== null;
  const order = [...list].sort((a, b) => rank(a.name) - rank(b.name));
  const boxes = order.map((d) => {
    const id = `det-${d.name}`;
    const input = el('input', { type: 'checkbox', id, value: d.name, 'data-supervision': d.supervision });
    input.checked = had ? ticked.has(d.name) : DEFAULT_DETECTORS.has(d.name);
    return el('label', { for: id, title: d.description }, [
      input,
      ` ${d.name}`,
      el('span', { class: 'muted', text: ` (${d.supervision})` }),
    ]);
  });
  box.replaceChildren(el('legend', { text: 'Detectors' }), ...boxes);
}

function rank(name: string): number {
  const k = FIRST.indexOf(name);
  return k < 0 ? FIRST.length : k;
}

/** What the form says: the dataset choice and the ticked detectors. */
export function readChoice(): { choice: DatasetChoice; detectors: string[] } {
  const label = byId<HTMLSelectElement>('label').value || null;
  const kind = byId<HTMLSelectElement>('kind').value || null;
  const roles: Record<string, KindRole> = {};
  for (const s of byId('roles').querySelectorAll<HTMLSelectElement>('select')) roles[s.dataset.value ?? ''] = s.value as KindRole;
  const features = [...byId('features').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  const detectors = [...byId('detectors').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  return { choice: { label, kind: kind, roles, features }, detectors };
}

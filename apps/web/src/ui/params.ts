import type { Params } from '@abc/core';
import { detectorParams, type TrainingSettings } from '../train/detectors.js';
import { pageParamKeys, paramText, parsePageParams } from '../train/params.js';
import type { DetectorInfo, DetectorRequest } from '../train/protocol.js';
import { byId, el } from './dom.js';

/** The id of the input of one detector's parameter. */
export function paramInputId(detector: string, key: string): string {
  return `param-${detector}-${key}`;
}

/**
 * Renders one group of labelled text inputs per ticked detector in `#params` (the keys of `pageParamKeys`),
 * keeping what the user typed. An empty input means the page's default, shown as the placeholder: the detector's
 * default, with the page's epoch budget for networks and the paper's 10-10 / latent 1 network for two features.
 */
export function renderParams(list: readonly DetectorInfo[], ticked: readonly string[], settings: TrainingSettings): void {
  const box = byId('params');
  const typed = new Map([...box.querySelectorAll<HTMLInputElement>('input')].map((i) => [i.id, i.value]));
  const groups = ticked.flatMap((name) => {
    const info = list.find((d) => d.name === name);
    const keys = info ? pageParamKeys(info.paramSpace) : [];
    if (!info || keys.length === 0) return [];
    const defaults = detectorParams(info, settings);
    const fields = keys.map((key) => {
      const id = paramInputId(name, key);
      const spec = info.paramSpace[key];
      const input = el('input', {
        type: 'text',
        id,
        size: 8,
        inputmode: spec.type === 'int' || spec.type === 'float' ? 'decimal' : undefined,
        placeholder: paramText(key in defaults ? defaults[key] : spec.default),
        title: spec.description,
        'data-detector': name,
        'data-param': key,
        autocomplete: 'off',
      });
      input.value = typed.get(id) ?? '';
      return el('span', { class: 'param' }, [el('label', { for: id, text: `${key} ` }), input]);
    });
    return [el('fieldset', { 'data-detector': name }, [el('legend', { text: name }), ...fields])];
  });
  box.replaceChildren(el('legend', { text: 'Parameters (empty = the default shown)' }), ...groups);
  box.hidden = groups.length === 0;
}

/**
 * The ticked detectors with the parameters typed for them, read with the command line's parser (the same
 * `ValidationError` messages as `abc fit --param`). The first bad input is marked `aria-invalid`, focused and its
 * error thrown.
 */
export function readParams(list: readonly DetectorInfo[], ticked: readonly string[]): DetectorRequest[] {
  return ticked.map((name) => {
    const info = list.find((d) => d.name === name);
    if (!info) return { name };
    const params: Params = {};
    for (const key of pageParamKeys(info.paramSpace)) {
      const input = document.getElementById(paramInputId(name, key)) as HTMLInputElement | null;
      if (!input) continue;
      try {
        Object.assign(params, parsePageParams(name, info.paramSpace, { [key]: input.value }));
        input.removeAttribute('aria-invalid');
        delete input.dataset.error;
      } catch (e) {
        input.setAttribute('aria-invalid', 'true');
        input.dataset.error = (e as Error).message;
        input.focus();
        throw e;
      }
    }
    return { name, params };
  });
}

/**
 * Checks one parameter input (as the user leaves it) with the command line's parser: marks it `aria-invalid` and
 * returns the error's message when the text is bad, clears the mark and returns null when it is good or empty.
 * (The caller keeps the message in `data-error`, as {@link readParams} does, to clear it once mended.)
 */
export function checkParamInput(list: readonly DetectorInfo[], input: HTMLInputElement): string | null {
  const name = input.dataset.detector ?? '';
  const key = input.dataset.param ?? '';
  const info = list.find((d) => d.name === name);
  if (!info) return null;
  try {
    parsePageParams(name, info.paramSpace, { [key]: input.value });
    input.removeAttribute('aria-invalid');
    return null;
  } catch (e) {
    input.setAttribute('aria-invalid', 'true');
    return (e as Error).message;
  }
}

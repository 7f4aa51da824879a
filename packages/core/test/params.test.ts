import { describe, expect, it } from 'vitest';
import { parseParamText, resolveParams, ValidationError, type ParamSpace } from '../src/index.js';

const space: ParamSpace = {
  lr: { type: 'float', default: 1e-3, min: 0, exclusiveMin: true, description: 'step' },
  epochs: { type: 'int', default: 10, min: 1, description: 'epochs' },
  variant: { type: 'choice', default: 'ae', choices: ['ae', 'dae'], description: 'variant' },
  hidden: { type: 'intList', default: [300, 100], min: 1, description: 'sizes' },
  verbose: { type: 'bool', default: false, description: 'talk' },
  threshold: { type: 'float', default: null, nullable: true, description: 't' },
};

function msg(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).reason).toBe('param');
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('params', () => {
  it('fills defaults and copies lists', () => {
    const p = resolveParams(space, { epochs: 3 }, 'T');
    expect(p).toEqual({ lr: 1e-3, epochs: 3, variant: 'ae', hidden: [300, 100], verbose: false, threshold: null });
    (p.hidden as number[]).push(5);
    expect(space.hidden.default).toEqual([300, 100]);
  });

  it('names unknown params, wrong types and ranges', () => {
    expect(msg(() => resolveParams(space, { lrr: 1 }, 'T'))).toMatch(/unknown parameter "lrr"; known parameters: lr, epochs/);
    expect(msg(() => resolveParams(space, { lr: 0 }, 'T'))).toMatch(/"lr" must be > 0, got 0/);
    expect(msg(() => resolveParams(space, { epochs: 2.5 }, 'T'))).toMatch(/an integer/);
    expect(msg(() => resolveParams(space, { epochs: NaN }, 'T'))).toMatch(/finite/);
    expect(msg(() => resolveParams(space, { variant: 'vae' }, 'T'))).toMatch(/one of "ae", "dae"/);
    expect(msg(() => resolveParams(space, { hidden: [3, 0] }, 'T'))).toMatch(/>= 1/);
    expect(msg(() => resolveParams(space, { verbose: 'yes' }, 'T'))).toMatch(/true or false/);
    expect(msg(() => resolveParams(space, { epochs: null }, 'T'))).toMatch(/must be set/);
    expect(resolveParams(space, { threshold: null }, 'T').threshold).toBeNull();
  });

  it('is safe against prototype keys', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": 1}}');
    expect(msg(() => resolveParams(space, evil, 'T'))).toMatch(/unknown parameter "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses command-line key=value text by type', () => {
    expect(parseParamText(space, 'hidden=10,10', 'T')).toEqual(['hidden', [10, 10]]);
    expect(parseParamText(space, 'lr=1e-4', 'T')).toEqual(['lr', 1e-4]);
    expect(parseParamText(space, 'verbose=true', 'T')).toEqual(['verbose', true]);
    expect(parseParamText(space, 'threshold=null', 'T')).toEqual(['threshold', null]);
    expect(parseParamText(space, 'variant=dae', 'T')).toEqual(['variant', 'dae']);
    expect(msg(() => parseParamText(space, 'lr', 'T'))).toMatch(/key=value/);
    expect(msg(() => parseParamText(space, 'lr=abc', 'T'))).toMatch(/finite number/);
    expect(msg(() => parseParamText(space, 'epochs=', 'T'))).toMatch(/finite number/);
    expect(msg(() => parseParamText(space, 'nope=1', 'T'))).toMatch(/unknown parameter "nope"/);
  });
});

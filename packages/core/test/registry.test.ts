import { describe, expect, it } from 'vitest';
import {
  createDetector,
  createTransformer,
  getDetectorEntry,
  listDetectors,
  registerDetector,
  UnknownDetectorError,
  unregisterDetector,
  ValidationError,
} from '../src/index.js';
import { MeanDistance } from '../src/testing/index.js';
import { registerTestComponents } from './helpers.js';

registerTestComponents();

describe('registry', () => {
  it('creates registered detectors and transformers with params', () => {
    const d = createDetector('ref-logistic', { epochs: 3 });
    expect(d.getParams().epochs).toBe(3);
    expect(createTransformer('test-center', { factor: 2 }).getParams()).toEqual({ factor: 2 });
    expect(() => createDetector('ref-logistic', { epochz: 3 })).toThrow(/unknown parameter "epochz"/);
  });

  it('lists by supervision kind with declared parameter spaces', () => {
    const sup = listDetectors({ supervision: 'supervised' }).map((e) => e.name);
    const unsup = listDetectors({ supervision: 'unsupervised' }).map((e) => e.name);
    expect(sup).toContain('ref-logistic');
    expect(unsup).toContain('ref-meandist');
    expect(sup).not.toContain('ref-meandist');
    const space = getDetectorEntry('ref-logistic').paramSpace;
    expect(Object.keys(space)).toEqual(expect.arrayContaining(['seed', 'threshold', 'contamination', 'epochs', 'lr']));
  });

  it('names unknown detectors and lists the known ones', () => {
    expect(() => createDetector('nope')).toThrow(UnknownDetectorError);
    expect(() => createDetector('nope')).toThrow(/unknown detector "nope"; registered: .*ref-meandist/);
  });

  it('refuses duplicate and malformed names unless replacing', () => {
    const entry = {
      name: 'tmp-plugin',
      supervision: 'unsupervised' as const,
      hasProbability: false,
      description: 'a plugin',
      paramSpace: MeanDistance.declaration.paramSpace,
      create: () => new MeanDistance(),
    };
    registerDetector(entry);
    expect(() => registerDetector(entry)).toThrow(/already registered/);
    registerDetector({ ...entry, description: 'replaced' }, { replace: true });
    expect(getDetectorEntry('tmp-plugin').description).toBe('replaced');
    expect(unregisterDetector('tmp-plugin')).toBe(true);
    expect(() => registerDetector({ ...entry, name: 'Bad Name' })).toThrow(ValidationError);
  });
});

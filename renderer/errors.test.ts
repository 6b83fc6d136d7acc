import { describe, expect, it } from 'vitest';
import { ErrorCode, FieldlinkError } from '../shared/errors.ts';
import { asFieldlinkError, explain, fieldOf } from './errors.ts';

describe('explain', () => {
  it('has a sentence and a next step for every error code', () => {
    for (const code of ErrorCode.options) {
      const e = explain(new FieldlinkError(code, 'x'));
      expect(e.code).toBe(code);
      expect(e.sentence.length).toBeGreaterThan(5);
      expect(e.next.length).toBeGreaterThan(5);
    }
  });
  it('keeps the core’s own message as the detail', () => {
    const e = explain(new FieldlinkError('NOT_FOUND', 'No box called edge-9 in the inventory.'));
    expect(e.detail).toBe('No box called edge-9 in the inventory.');
  });
  it('lets a screen give a sharper next step for one code only', () => {
    expect(explain(new FieldlinkError('NOT_AVAILABLE_YET', 'x'), { NOT_AVAILABLE_YET: 'Use ssh.' }).next).toBe('Use ssh.');
    expect(explain(new FieldlinkError('TIMEOUT', 'x'), { NOT_AVAILABLE_YET: 'Use ssh.' }).next).not.toBe('Use ssh.');
  });
  it('turns anything thrown into a typed error without leaking its text', () => {
    expect(asFieldlinkError(new TypeError('secret internals')).code).toBe('INTERNAL');
    expect(JSON.stringify(explain(new TypeError('secret internals')))).not.toContain('secret');
    expect(asFieldlinkError({ code: 'LINK_DOWN', message: 'gone' }).code).toBe('LINK_DOWN');
    expect(asFieldlinkError({ code: 'MADE_UP', message: 'x' }).code).toBe('INTERNAL');
    expect(asFieldlinkError(Object.assign(new Error('stop'), { name: 'AbortError' })).code).toBe('ABORTED');
  });
});

describe('fieldOf', () => {
  it('names the field a BAD_REQUEST from the core complained about', () => {
    expect(fieldOf(new FieldlinkError('BAD_REQUEST', 'Invalid collectorUrl', { issues: [{ path: ['collectorUrl'], message: 'bad' }] }))).toBe('collectorUrl');
    expect(fieldOf(new FieldlinkError('BAD_REQUEST', 'x', { issues: 'nonsense' }))).toBeNull();
    expect(fieldOf(new FieldlinkError('TIMEOUT', 'x'))).toBeNull();
  });
});

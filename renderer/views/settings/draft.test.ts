import { describe, expect, it } from 'vitest';
import type { Settings } from '../../../shared/model.ts';
import { draftFrom, patchFrom } from './draft.ts';

const current: Settings = { technician: 'ana', site: '', theme: 'light', collectorUrl: null, quotaBytes: 2 * 1024 ** 3 };

describe('settings form', () => {
  it('sends nothing when nothing changed, even a rounded quota', () => {
    expect(patchFrom(draftFrom(current), current)).toEqual({ ok: true, patch: {} });
    const odd = { ...current, quotaBytes: 1_234_567_891 };
    expect(patchFrom(draftFrom(odd), odd)).toEqual({ ok: true, patch: {} });
  });
  it('sends only what changed, trimmed', () => {
    const r = patchFrom({ ...draftFrom(current), site: '  Plant 3 ', quotaGb: '0,5' }, current);
    expect(r).toEqual({ ok: true, patch: { site: 'Plant 3', quotaBytes: 512 * 1024 ** 2 } });
  });
  it('clears the collector with an empty field', () => {
    const withUrl = { ...current, collectorUrl: 'https://c.example/files' };
    expect(patchFrom({ ...draftFrom(withUrl), collectorUrl: ' ' }, withUrl)).toEqual({ ok: true, patch: { collectorUrl: null } });
  });
  it('says per field what is wrong and sends nothing', () => {
    const r = patchFrom({ technician: '', site: 'x'.repeat(201), collectorUrl: 'ftp://x', quotaGb: '-1' }, current);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['collectorUrl', 'quotaGb', 'site', 'technician']);
  });
});

import { describe, expect, it } from 'vitest';
import { formatBytes, plural } from './bytes.ts';
import { connectionLabel, healthLabel, mainAction, needsAttention, stateLabel, trustLabel } from './labels.ts';
import { clockTime, relativeTime } from './time.ts';

// safeText is shared/text.ts's sanitiser, tested in shared/text.test.ts.

describe('relative times', () => {
  const now = Date.parse('2026-03-12T14:30:00Z');
  it('reads like a person would say it', () => {
    expect(relativeTime('2026-03-12T14:29:50Z', now)).toBe('just now');
    expect(relativeTime('2026-03-12T14:27:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2026-03-12T12:30:00Z', now)).toBe('2 h ago');
    expect(relativeTime('2026-03-11T14:30:00Z', now)).toBe('1 day ago');
    expect(relativeTime('2026-03-02T14:30:00Z', now)).toBe('10 days ago');
    expect(relativeTime('2026-03-12T16:30:00Z', now)).toBe('in 2 h');
  });
  it('says never for missing or broken times instead of NaN', () => {
    expect(relativeTime(null, now)).toBe('never');
    expect(relativeTime('not a time', now)).toBe('never');
    expect(clockTime('garbage', now)).toBe('');
  });
  it('shows only the clock for today and adds the date otherwise', () => {
    const today = clockTime(new Date(now - 60_000).toISOString(), now);
    expect(today).toMatch(/^\d{1,2}[:.]\d{2}/);
    expect(clockTime(new Date(now - 3 * 86_400_000).toISOString(), now).length).toBeGreaterThan(today.length);
  });
});

describe('bytes', () => {
  it('formats sizes the way Explorer does', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(120 * 1024 * 1024)).toBe('120 MB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
  it('pluralises', () => {
    expect(plural(1, 'segment')).toBe('1 segment');
    expect(plural(37, 'segment')).toBe('37 segments');
  });
});

describe('status words', () => {
  it('gives every state a word and a tone, never colour alone', () => {
    for (const s of ['new', 'provisioned', 'attention', 'unreachable', 'unknown'] as const) expect(stateLabel(s).word).not.toBe('');
    expect(trustLabel('changed')).toEqual({ word: 'Key changed!', tone: 'bad' });
    expect(trustLabel('cable').word).toBe('Pinned by cable');
    expect(healthLabel('healthy').tone).toBe('ok');
  });
  it('survives a word from a newer core', () => {
    expect(stateLabel('exploded' as never)).toEqual({ word: 'Unknown', tone: 'neutral' });
  });
  it('offers Provision for a new box and Open for the rest', () => {
    expect(mainAction({ state: 'new' })).toBe('provision');
    expect(mainAction({ state: 'provisioned' })).toBe('open');
    expect(mainAction({ state: 'unreachable' })).toBe('open');
  });
  it('counts a changed key as needing attention even on a healthy box', () => {
    expect(needsAttention({ state: 'provisioned', health: 'healthy', trust: 'changed' })).toBe(true);
    expect(needsAttention({ state: 'provisioned', health: 'healthy', trust: 'cable' })).toBe(false);
  });
  it('describes the connection from how the box was last reached', () => {
    expect(connectionLabel({ reach: 'cable' }).word).toBe('Reachable over cable');
    expect(connectionLabel({ reach: 'none' }).tone).toBe('neutral');
  });
});

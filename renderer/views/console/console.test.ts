import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ConsoleSinks } from '../../stores/console.ts';
import { isPlausibleTarget, targetsFor } from './targets.ts';
import { pinSourceText, sameFingerprint, trustProblemOf, withPinSources } from './trust.ts';
import { MAX_QUEUED_CHARS, MAX_WRITE_CHARS, WriteQueue } from './writeQueue.ts';

const FP = `SHA256:${'Q'.repeat(43)}`;
const FP2 = `SHA256:${'R'.repeat(43)}`;

describe('trust prompt from a console.open failure', () => {
  it('reads host, port, offered and pinned keys of a changed key', () => {
    const err = new FieldlinkError('HOST_KEY_CHANGED', 'changed', {
      host: '10.77.0.11',
      port: 2222,
      offered: [{ keyType: 'ssh-ed25519', fingerprint: FP }],
      pinned: [{ keyType: 'ssh-ed25519', fingerprint: FP2, source: 'serial', pinnedAt: '2026-03-01T10:00:00Z' }],
    });
    expect(trustProblemOf(err)).toEqual({
      kind: 'changed',
      host: '10.77.0.11',
      port: 2222,
      offered: [{ keyType: 'ssh-ed25519', fingerprint: FP }],
      pinned: [{ keyType: 'ssh-ed25519', fingerprint: FP2, source: 'serial', pinnedAt: '2026-03-01T10:00:00Z' }],
    });
  });
  it('drops what a box could have forged: bad fingerprints, markup key types, unknown sources', () => {
    const p = trustProblemOf(
      new FieldlinkError('HOST_KEY_UNKNOWN', 'unknown', {
        host: 'h',
        offered: [
          { keyType: '<b>x</b>', fingerprint: FP },
          { keyType: 'ssh-rsa', fingerprint: 'MD5:aa' },
          { keyType: 'ssh-ed25519', fingerprint: FP },
        ],
        pinned: [{ keyType: 'ssh-rsa', fingerprint: FP2, source: 'hacker', pinnedAt: 'yesterday' }],
      }),
    )!;
    expect(p.kind).toBe('unknown');
    expect(p.port).toBe(22);
    expect(p.offered).toEqual([{ keyType: 'ssh-ed25519', fingerprint: FP }]);
    expect(p.pinned[0]).toMatchObject({ source: 'other', pinnedAt: null });
    expect(pinSourceText('other')).toBe('from an unknown source');
  });
  it('is no prompt when there is nothing valid to show, or for other errors', () => {
    expect(trustProblemOf(new FieldlinkError('HOST_KEY_UNKNOWN', 'x', { host: 'h', offered: [] }))).toBeNull();
    expect(trustProblemOf(new FieldlinkError('AUTH_FAILED', 'x', { host: 'h', offered: [{ keyType: 'ssh-ed25519', fingerprint: FP }] }))).toBeNull();
  });
  it('compares a typed fingerprint forgivingly on form, strictly on content', () => {
    expect(sameFingerprint(FP, FP)).toBe(true);
    expect(sameFingerprint(` ${'Q'.repeat(20)} ${'Q'.repeat(23)} `, FP)).toBe(true);
    expect(sameFingerprint(`sha256:${'Q'.repeat(43)}=`, FP)).toBe(true);
    expect(sameFingerprint(FP2, FP)).toBe(false);
    expect(sameFingerprint('Q', FP)).toBe(false);
  });
});

describe('console targets', () => {
  it('offers the LAN first, then the cable', () => {
    const t = targetsFor({ id: 'SN-1', addresses: ['10.0.0.5', 'fe80::1'], consolePath: '/dev/ttyUSB0' });
    expect(t.map((x) => x.target)).toEqual(['ssh://10.0.0.5', 'ssh://[fe80::1]', 'serial:/dev/ttyUSB0']);
  });
  it('falls back to the box id when nothing else is known', () => {
    expect(targetsFor({ id: 'SN-1', addresses: [], consolePath: null })).toEqual([{ target: 'SN-1', label: 'Best link Fieldlink knows', via: 'auto' }]);
  });
  it('accepts the target forms the core knows and refuses junk', () => {
    for (const ok of ['ssh://root@10.0.0.5:2222', 'ssh://[fe80::1]', 'serial:COM3', 'serial:/dev/ttyUSB0', 'edge-01']) expect(isPlausibleTarget(ok)).toBe(true);
    for (const bad of ['', 'ssh://', 'ssh://a b', 'rm -rf /', 'x\u0000y', 'a'.repeat(600)]) expect(isPlausibleTarget(bad)).toBe(false);
  });
});

describe('WriteQueue', () => {
  it('sends in order with one call in flight, batching what was typed meanwhile', async () => {
    const sent: string[] = [];
    let release: () => void = () => {};
    const q = new WriteQueue(
      (d) => {
        sent.push(d);
        return new Promise<void>((r) => (release = r));
      },
      () => {},
    );
    q.push('l');
    q.push('s');
    q.push(' -l\r');
    expect(sent).toEqual(['l']);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual(['l', 's -l\r']);
    release();
  });
  it('splits a big paste into pieces the contract accepts', async () => {
    const sent: string[] = [];
    const q = new WriteQueue(
      async (d) => void sent.push(d),
      () => {},
    );
    q.push('x'.repeat(MAX_WRITE_CHARS * 2 + 5));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent.map((s) => s.length)).toEqual([MAX_WRITE_CHARS, MAX_WRITE_CHARS, 5]);
  });
  it('refuses more than its bound instead of growing without end', () => {
    const q = new WriteQueue(
      () => new Promise(() => {}),
      () => {},
    );
    expect(q.push('a')).toBe(true); // in flight, never answered
    expect(q.push('b')).toBe(true); // waiting
    expect(q.push('x'.repeat(MAX_QUEUED_CHARS))).toBe(false);
    expect(q.queuedChars).toBe(1);
  });
  it('stops after a failed write and reports it once', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const q = new WriteQueue(
      async () => {
        calls++;
        throw new FieldlinkError('LINK_DOWN', 'gone');
      },
      (e) => errors.push(e),
    );
    q.push('a');
    q.push('b');
    await new Promise((r) => setTimeout(r, 0));
    expect(q.push('c')).toBe(false);
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe('ConsoleSinks', () => {
  it('keeps output that beats its terminal and hands it over on attach', () => {
    const sinks = new ConsoleSinks();
    sinks.push('s1', 'login: ');
    const got: string[] = [];
    sinks.attach('s1', (d) => got.push(d));
    sinks.push('s1', 'root');
    expect(got).toEqual(['login: ', 'root']);
  });
  it('bounds what waits for a terminal, keeping the newest output', () => {
    const sinks = new ConsoleSinks();
    for (let i = 0; i < 100; i++) sinks.push('s1', String(i % 10).repeat(10_000));
    expect(sinks.pendingBytes('s1')).toBeLessThanOrEqual(256 * 1024);
    const got: string[] = [];
    sinks.attach('s1', (d) => got.push(d));
    expect(got.join('').endsWith('9'.repeat(10_000))).toBe(true);
  });
  it('stops delivering after detach', () => {
    const sinks = new ConsoleSinks();
    const got: string[] = [];
    const detach = sinks.attach('s1', (d) => got.push(d));
    detach();
    sinks.push('s1', 'late');
    expect(got).toEqual([]);
  });
});

describe('where an old pin came from', () => {
  it('fills in source and time from the trust table, matching host, port, type and fingerprint', () => {
    const problem = trustProblemOf(
      new FieldlinkError('HOST_KEY_CHANGED', 'x', {
        host: '10.0.0.5',
        port: 22,
        offered: [{ keyType: 'ssh-ed25519', fingerprint: FP }],
        pinned: [{ keyType: 'ssh-ed25519', fingerprint: FP2 }],
      }),
    )!;
    const pins = [
      { host: '10.0.0.5', port: 22, boxId: null, keyType: 'ssh-ed25519', fingerprint: FP2, source: 'serial' as const, pinnedAt: '2026-03-01T10:00:00Z' },
      { host: '10.0.0.6', port: 22, boxId: null, keyType: 'ssh-ed25519', fingerprint: FP2, source: 'typed' as const, pinnedAt: '2026-03-02T10:00:00Z' },
    ];
    expect(withPinSources(problem, pins).pinned).toEqual([{ keyType: 'ssh-ed25519', fingerprint: FP2, source: 'serial', pinnedAt: '2026-03-01T10:00:00Z' }]);
    expect(withPinSources(problem, []).pinned[0]!.source).toBe('other');
  });
});

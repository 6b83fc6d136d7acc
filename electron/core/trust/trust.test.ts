import { describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { decideHostKey, exportKnownHosts, fingerprintOf, hashHostName, importKnownHosts, keyTypeOf, lookupKnownHosts, normalizeFingerprint, parseHostKeyListing } from './index.ts';

function newKey(comment = 'k'): { blob: Buffer; line: string } {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  const b64 = pair.public.split(' ')[1]!;
  return { blob: Buffer.from(b64, 'base64'), line: `ssh-ed25519 ${b64}` };
}

describe('fingerprints', () => {
  it('match OpenSSH SHA256 form and name the key type inside the blob', () => {
    const k = newKey();
    expect(fingerprintOf(k.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOf(k.blob)).toBe('ssh-ed25519');
    expect(normalizeFingerprint(`  ${fingerprintOf(k.blob)}= `)).toBe(fingerprintOf(k.blob));
  });
  it('reject garbage with a typed error', () => {
    expect(() => normalizeFingerprint('MD5:aa:bb')).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('is not an OpenSSH SHA256 fingerprint') }),
    );
    expect(() => keyTypeOf(Buffer.from([0, 0, 0, 200, 1, 2]))).toThrow(expect.objectContaining({ code: 'PROTOCOL', message: 'The host key does not name a valid key type.' }));
    expect(() => keyTypeOf(Buffer.from([0, 0, 0, 3, 0x0a, 0x0d, 0x1b]))).toThrow(expect.objectContaining({ code: 'PROTOCOL', message: 'The host key names an invalid key type.' }));
  });
});

describe('host-key policy', () => {
  const k = newKey();
  const other = newKey();
  it('passes a pinned key, refuses a changed one with both fingerprints, whatever the mode', async () => {
    const pinned = [{ keyType: 'ssh-ed25519', fingerprint: fingerprintOf(k.blob) }];
    expect((await decideHostKey({ pinned, mode: 'strict' }, 'h', 22, k.blob)).ok).toBe(true);
    for (const mode of ['strict', 'accept-new', 'ask'] as const) {
      const d = await decideHostKey({ pinned, mode, ask: async () => true }, 'h', 22, other.blob);
      expect(d.ok).toBe(false);
      if (!d.ok) {
        expect(d.error.code).toBe('HOST_KEY_CHANGED');
        expect(d.error.message).toContain(fingerprintOf(k.blob));
        expect(d.error.message).toContain(fingerprintOf(other.blob));
      }
    }
  });
  it('an unknown key: refused in strict, accepted (not pinned: fixed pins pin nothing) in accept-new, up to the technician in ask', async () => {
    const s = await decideHostKey({ pinned: [], mode: 'strict' }, 'h', 22, k.blob);
    expect(!s.ok && s.error.code).toBe('HOST_KEY_UNKNOWN');
    const a = await decideHostKey({ pinned: [], mode: 'accept-new' }, 'h', 22, k.blob);
    expect(a.ok && a.accepted).toBe(true);
    const no = await decideHostKey({ pinned: [], mode: 'ask', ask: async () => false }, 'h', 22, k.blob);
    expect(!no.ok && no.error.code).toBe('HOST_KEY_UNKNOWN');
    const boom = await decideHostKey({ pinned: [], mode: 'ask', ask: async () => Promise.reject(new Error('closed')) }, 'h', 22, k.blob);
    expect(boom.ok).toBe(false);
  });
});

describe('trust policy from the pin table', () => {
  it('pins a first-use key only once the login completed (confirmed), and sees pins added after it was made', async () => {
    const { openDatabase, TrustStore } = await import('../db/index.ts');
    const { trustPolicy } = await import('./index.ts');
    const db = openDatabase(':memory:');
    const store = new TrustStore(db);
    const k = newKey();
    const check = trustPolicy({ store, host: 'h', port: 22, mode: 'accept-new' });
    expect(check.pinnedKeyTypes).toEqual([]);
    const v = await check.verify('h', 22, k.blob);
    expect(v.ok).toBe(true);
    // Accepted in the key exchange, but the server has proved nothing yet: no pin.
    expect(store.forHost('h', 22)).toEqual([]);
    if (v.ok) check.confirmed!(v.key, { host: 'h', port: 22 });
    expect(store.forHost('h', 22)).toMatchObject([{ keyType: 'ssh-ed25519', fingerprint: fingerprintOf(k.blob), source: 'first-use' }]);
    expect(check.pinnedKeyTypes).toEqual(['ssh-ed25519']);
    const other = newKey();
    const d = await check.verify('h', 22, other.blob);
    expect(!d.ok && d.error.code).toBe('HOST_KEY_CHANGED');
    db.close();
  });
});

describe('known_hosts', () => {
  const a = newKey();
  const b = newKey();
  const text = [
    '# comment',
    `box1,10.77.0.11 ${a.line}`,
    `[10.77.0.12]:2222 ${b.line} tech@laptop`,
    `${hashHostName('hidden.example')} ${a.line}`,
    `*.site ${b.line}`,
    `@revoked 10.77.0.99 ${b.line}`,
    `@cert-authority *.corp ${a.line}`,
    'garbage line',
    `x ${'A'.repeat(20000)}`,
    `box3 ssh-ed25519 !!!notbase64`,
  ].join('\n');

  it('looks up plain, bracketed-port, wildcard and hashed entries like ssh-keygen -F', () => {
    expect(lookupKnownHosts(text, 'box1').keys.map((k) => k.fingerprint)).toEqual([fingerprintOf(a.blob)]);
    expect(lookupKnownHosts(text, '10.77.0.12', 2222).keys.map((k) => k.fingerprint)).toEqual([fingerprintOf(b.blob)]);
    expect(lookupKnownHosts(text, '10.77.0.12', 22).keys).toEqual([]);
    expect(lookupKnownHosts(text, 'hidden.example').keys.map((k) => k.fingerprint)).toEqual([fingerprintOf(a.blob)]);
    expect(lookupKnownHosts(text, 'x.corp').keys).toEqual([]);
  });
  it('a revoked key is never returned as trusted', () => {
    const r = lookupKnownHosts(text, '10.77.0.99');
    expect(r.keys).toEqual([]);
    expect(r.revoked).toHaveLength(1);
  });
  it('imports literal hosts, hashed ones only for candidate names, and never revoked keys', () => {
    const imp = importKnownHosts(text, [{ host: 'hidden.example', port: 22 }]);
    const names = imp.keys.map((k) => `${k.host}:${k.port}`).sort();
    // b is revoked for 10.77.0.99, so every line carrying b is dropped, as OpenSSH would refuse it.
    expect(names).toEqual(['10.77.0.11:22', 'box1:22', 'hidden.example:22']);
    expect(imp.revoked).toBe(1);
  });
  it('exports pins whose keys are known and lists the ones it cannot', () => {
    const pins = [
      { host: 'box1', port: 22, boxId: null, keyType: 'ssh-ed25519', fingerprint: fingerprintOf(a.blob), source: 'serial' as const, pinnedAt: '' },
      { host: 'box2', port: 2200, boxId: null, keyType: 'ssh-ed25519', fingerprint: 'SHA256:' + 'x'.repeat(43), source: 'typed' as const, pinnedAt: '' },
    ];
    const out = exportKnownHosts(pins, lookupKnownHosts(text, 'box1').keys, { hash: true });
    expect(out.exported).toBe(1);
    expect(out.missingKey).toHaveLength(1);
    expect(lookupKnownHosts(out.text, 'box1').keys.map((k) => k.fingerprint)).toEqual([fingerprintOf(a.blob)]);
  });
});

describe('host keys read over a console', () => {
  it('keeps only well-formed .pub lines among kernel noise, with fingerprints computed from the keys', () => {
    const k = newKey();
    const fp = fingerprintOf(k.blob);
    const listing = [
      '[   12.345678] usb 1-1: new high-speed USB device',
      `FLFP 256 ${fp} root@box (ED25519)`,
      `FLPUB ${k.line} root@box`,
      '\x1b[31mFLPUB ' + k.line,
      'FLPUB ssh-ed25519 short',
      '',
    ].join('\r\n');
    const keys = parseHostKeyListing(listing);
    expect(keys).toEqual([{ keyType: 'ssh-ed25519', fingerprint: fp, bits: 256, publicKey: k.line }]);
  });
  it('fails clearly when no key is there', () => {
    expect(() => parseHostKeyListing('login: ')).toThrow(/No SSH host keys/);
  });
  it('a .pub line whose blob does not parse counts for nothing', () => {
    expect(() => parseHostKeyListing('FLPUB ssh-rsa AAAAAAAAAAAAAAAAAAAAAAAA\n')).toThrow(
      expect.objectContaining({ code: 'REMOTE_FAILED', message: expect.stringContaining('No SSH host keys could be read') }),
    );
  });
});

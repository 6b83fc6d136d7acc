import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import { createApp, type App } from '../app.ts';
import { AuditLog, TrustStore, openDatabase } from '../db/index.ts';
import { boxIdOf, identifyBox } from '../boxes/index.ts';
import type { ExecResult, Shell } from '../transport/index.ts';
import { Trust, fingerprintOf, parseHostKeyListing, readHostKeys } from './index.ts';

/**
 * The attacks of the security review, each against the one trust use case and its front doors:
 * what a rogue box, a replayed key or a careless call could get pinned, and must not.
 */

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519') {
  const pair = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }) : ssh2.utils.generateKeyPairSync('ed25519');
  const [keyType, b64] = pair.public.split(' ') as [string, string];
  const blob = Buffer.from(b64, 'base64');
  return { blob, keyType, fingerprint: fingerprintOf(blob), line: `${keyType} ${b64}` };
}

const dirs: string[] = [];
const apps: App[] = [];
function app(): App {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-trust-attacks-'));
  dirs.push(dir);
  const a = createApp({ host: 'test', dataDir: dir });
  apps.push(a);
  return a;
}
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tables() {
  const db = openDatabase(':memory:');
  const store = new TrustStore(db);
  const audit = new AuditLog(db, () => 'test');
  return { db, store, audit };
}

/** A box on the cable that answers the identify and host-key scripts with whatever it likes. */
function fakeConsole(answer: { hostname: string; serial: string; addresses: string[]; pubLines: string[] }): Shell {
  const ok = (text: string): ExecResult => ({ code: 0, signal: null, stdout: new TextEncoder().encode(text), stderr: new Uint8Array(), truncated: false });
  return {
    target: 'serial:/dev/ttyFAKE',
    async exec(cmd: string) {
      if (cmd.includes('FLID')) {
        return ok([`FLID serial=${answer.serial}`, `FLID hostname=${answer.hostname}`, 'FLID arch=x86_64', ...answer.addresses.map((a) => `FLID addr=${a}`), ''].join('\r\n'));
      }
      if (cmd.includes('ssh_host_')) return ok(answer.pubLines.map((l) => `FLPUB ${l} root@${answer.hostname}`).join('\r\n'));
      return ok('');
    },
  } as unknown as Shell;
}

describe("attack: a box on the cable claims its neighbour's address", () => {
  it("box-04 listing 10.77.0.13 (pinned for box-03) leaves box-03's pin alone and reports the conflict", async () => {
    const { store, audit } = tables();
    const trust = new Trust({ store, audit });
    const box03 = newKey();
    store.pin({ host: '10.77.0.13', port: 22, keyType: box03.keyType, fingerprint: box03.fingerprint, source: 'serial', boxId: 'SN-03' });

    const rogue = newKey();
    const shell = fakeConsole({ hostname: 'box-04', serial: 'SN-04', addresses: ['10.77.0.14', '10.77.0.13'], pubLines: [rogue.line] });
    const facts = await identifyBox(shell);
    const keys = await readHostKeys(shell);
    const r = trust.pinOverSerial({ boxId: boxIdOf(facts), via: shell.target, addresses: facts.addresses, keys });

    expect(store.forHost('10.77.0.13', 22)).toMatchObject([{ fingerprint: box03.fingerprint, boxId: 'SN-03', source: 'serial' }]);
    expect(r.conflicts).toMatchObject([{ address: '10.77.0.13', boxId: 'SN-03' }]);
    expect(r.pinned).toEqual(['10.77.0.14']);
    expect(store.forHost('10.77.0.14', 22)).toMatchObject([{ fingerprint: rogue.fingerprint, boxId: 'SN-04', source: 'serial' }]);
    expect(
      audit
        .list({ limit: 10 })
        .filter((a) => a.action === 'trust.refused')
        .map((a) => a.detail)
        .join('\n'),
    ).toMatch(/10\.77\.0\.13.*SN-03/);
  });

  it("an address pinned with other keys for no box waits for confirmation; its own box's old pin is replaced", () => {
    const { store } = tables();
    const trust = new Trust({ store });
    const lanKey = newKey();
    const oldOwn = newKey();
    const cable = newKey();
    store.pin({ host: '10.0.0.7', port: 22, keyType: lanKey.keyType, fingerprint: lanKey.fingerprint, source: 'first-use' });
    store.pin({ host: '10.0.0.8', port: 22, keyType: oldOwn.keyType, fingerprint: oldOwn.fingerprint, source: 'serial', boxId: 'SN-8' });
    const r = trust.pinOverSerial({ boxId: 'SN-8', via: 'serial:x', addresses: ['10.0.0.7', '10.0.0.8'], keys: [cable] });
    expect(r.unconfirmed.map((u) => u.address)).toEqual(['10.0.0.7']);
    expect(store.forHost('10.0.0.7', 22)[0]!.fingerprint).toBe(lanKey.fingerprint);
    expect(store.forHost('10.0.0.8', 22)).toMatchObject([{ fingerprint: cable.fingerprint, boxId: 'SN-8' }]);
    // Confirmed on purpose: replaced.
    trust.pinOverSerial({ boxId: 'SN-8', via: 'serial:x', addresses: ['10.0.0.7'], keys: [cable], replace: ['10.0.0.7'] });
    expect(store.forHost('10.0.0.7', 22)).toMatchObject([{ fingerprint: cable.fingerprint, boxId: 'SN-8', source: 'serial' }]);
  });

  it("the table itself never hands one box's pin to another box", () => {
    const { store } = tables();
    store.pin({ host: '10.0.0.9', port: 22, keyType: 'ssh-ed25519', fingerprint: newKey().fingerprint, source: 'serial', boxId: 'A' });
    expect(() => store.pin({ host: '10.0.0.9', port: 22, keyType: 'ssh-ed25519', fingerprint: newKey().fingerprint, source: 'serial', boxId: 'B' })).toThrow(/pinned for box A/);
  });
});

describe("attack: the serial listing prints a fingerprint that is not its key's", () => {
  it('fingerprints come from the public keys only; a printed fingerprint alone counts for nothing', () => {
    const real = newKey();
    const claimed = newKey();
    const keys = parseHostKeyListing([`FLFP 256 ${claimed.fingerprint} root@box (ED25519)`, `FLPUB ${real.line} root@box`].join('\r\n'));
    expect(keys.map((k) => k.fingerprint)).toEqual([real.fingerprint]);
    expect(() => parseHostKeyListing(`FLFP 256 ${claimed.fingerprint} root@box (ED25519)\r\n`)).toThrow(/No SSH host keys/);
  });
});

describe('attack: a replayed real key plus an added one, on `fieldlink trust HOST`', () => {
  it('an added ECDSA key beside the pinned ed25519 is HOST_KEY_CHANGED, even with --accept-new; nothing is pinned', async () => {
    const { store, audit } = tables();
    const real = newKey();
    const added = newKey('ecdsa');
    store.pin({ host: 'h', port: 22, keyType: real.keyType, fingerprint: real.fingerprint, source: 'serial' });
    const trust = new Trust({ store, audit, probe: async () => [real, added].map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint })) });
    let asked = false;
    const err = (await trust.pinFirstUse({ host: 'h', port: 22 }, { accept: async () => ((asked = true), true) }).catch((e) => e)) as FieldlinkError;
    expect(err.code).toBe('HOST_KEY_CHANGED');
    expect(asked).toBe(false);
    expect(store.forHost('h', 22).map((p) => p.keyType)).toEqual([real.keyType]);
  });

  it('a differing key of a pinned type is refused although another offered key matches', async () => {
    const { store } = tables();
    const real = newKey();
    const ecdsaPinned = newKey('ecdsa');
    const ecdsaNow = newKey('ecdsa');
    store.pin({ host: 'h', port: 22, keyType: real.keyType, fingerprint: real.fingerprint, source: 'first-use' });
    store.pin({ host: 'h', port: 22, keyType: ecdsaPinned.keyType, fingerprint: ecdsaPinned.fingerprint, source: 'first-use' });
    const trust = new Trust({ store, probe: async () => [real, ecdsaNow].map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint })) });
    await expect(trust.pinFirstUse({ host: 'h' }, { accept: async () => true })).rejects.toMatchObject({ code: 'HOST_KEY_CHANGED' });
    expect(store.forHost('h', 22).find((p) => p.keyType === ecdsaPinned.keyType)!.fingerprint).toBe(ecdsaPinned.fingerprint);
  });

  it('a typed fingerprint never replaces a pin with another key either', async () => {
    const { store } = tables();
    const old = newKey();
    const now = newKey();
    store.pin({ host: 'h', port: 22, keyType: old.keyType, fingerprint: old.fingerprint, source: 'first-use' });
    const trust = new Trust({ store, probe: async () => [{ keyType: now.keyType, fingerprint: now.fingerprint }] });
    await expect(trust.pinTyped({ host: 'h', fingerprint: now.fingerprint })).rejects.toMatchObject({ code: 'HOST_KEY_CHANGED' });
    expect(store.forHost('h', 22)[0]!.fingerprint).toBe(old.fingerprint);
  });
});

describe('attack: trust.pin called with any key the caller likes', () => {
  it('refuses a first-use pin for a key the core never saw in a refused handshake', async () => {
    const a = app();
    const k = newKey();
    const r = await a.dispatch('trust.pin', { host: '10.0.0.1', keyType: k.keyType, fingerprint: k.fingerprint, source: 'first-use' });
    expect(r).toMatchObject({ ok: false, error: { code: 'HOST_KEY_UNKNOWN' } });
    expect(a.trust.list()).toEqual([]);
    expect(a.audit.list({ limit: 5 })[0]).toMatchObject({ action: 'trust.refused', outcome: 'refused' });
  });

  it('pins only the key of the last refused handshake, and never over a pin with another fingerprint', async () => {
    const a = app();
    const shown = newKey();
    const other = newKey();
    const check = a.hostTrust.checkFor({ host: '10.0.0.2', port: 22, mode: 'strict' });
    const refused = await check.verify('10.0.0.2', 22, shown.blob);
    expect(!refused.ok && refused.error.code).toBe('HOST_KEY_UNKNOWN');

    expect(await a.dispatch('trust.pin', { host: '10.0.0.2', keyType: other.keyType, fingerprint: other.fingerprint, source: 'first-use' })).toMatchObject({ ok: false });
    expect(await a.dispatch('trust.pin', { host: '10.0.0.2', keyType: shown.keyType, fingerprint: shown.fingerprint, source: 'first-use' })).toMatchObject({
      ok: true,
      value: { source: 'first-use' },
    });
    expect(a.audit.list({ limit: 5 }).find((e) => e.action === 'trust.pin')).toMatchObject({ outcome: 'ok' });

    const changed = await a.dispatch('trust.pin', { host: '10.0.0.2', keyType: other.keyType, fingerprint: other.fingerprint, source: 'first-use' });
    expect(changed).toMatchObject({ ok: false, error: { code: 'HOST_KEY_CHANGED' } });
    expect(a.trust.forHost('10.0.0.2', 22).map((p) => p.fingerprint)).toEqual([shown.fingerprint]);
  });

  it('records "typed" only when the call carries the matching fingerprint the technician typed', async () => {
    const a = app();
    const k = newKey();
    await a.hostTrust.checkFor({ host: '10.0.0.3', port: 22, mode: 'strict' }).verify('10.0.0.3', 22, k.blob);
    const base = { host: '10.0.0.3', keyType: k.keyType, fingerprint: k.fingerprint, source: 'typed' as const };
    expect(await a.dispatch('trust.pin', base)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await a.dispatch('trust.pin', { ...base, typed: '' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await a.dispatch('trust.pin', { ...base, typed: newKey().fingerprint })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(a.trust.list()).toEqual([]);
    expect(await a.dispatch('trust.pin', { ...base, typed: ` ${k.fingerprint.slice('SHA256:'.length)}= ` })).toMatchObject({ ok: true, value: { source: 'typed' } });
  });
});

describe('attack: an address, or a name, that another box answers to', () => {
  it('a pin recorded for box A is refused when the target is box B at that address', async () => {
    const { store, audit } = tables();
    const k = newKey();
    store.pin({ host: '10.0.0.5', port: 22, keyType: k.keyType, fingerprint: k.fingerprint, source: 'serial', boxId: 'A' });
    const trust = new Trust({ store, audit });
    const asB = await trust.checkFor({ host: '10.0.0.5', port: 22, boxId: 'B', mode: 'accept-new' }).verify('10.0.0.5', 22, k.blob);
    expect(!asB.ok && asB.error.code).toBe('HOST_KEY_CHANGED');
    expect(!asB.ok && asB.error.details).toMatchObject({ pinnedBox: 'A', targetBox: 'B' });
    expect((await trust.checkFor({ host: '10.0.0.5', port: 22, boxId: 'A', mode: 'strict' }).verify('10.0.0.5', 22, k.blob)).ok).toBe(true);
    expect((await trust.checkFor({ host: '10.0.0.5', port: 22, mode: 'strict' }).verify('10.0.0.5', 22, k.blob)).ok).toBe(true);
  });

  it('a literal address is never captured by a box whose hostname is that address; a shared hostname is refused', () => {
    const a = app();
    a.inventory.recordSighting({ boxId: 'SN-ROGUE', source: 'mdns', address: '10.0.0.66', addresses: ['10.0.0.66'], hostname: '10.0.0.5' });
    expect(a.connections.resolve('10.0.0.5')).toMatchObject({ kind: 'ssh', host: '10.0.0.5', boxId: null });
    expect(a.connections.resolve('root@10.0.0.5')).toMatchObject({ kind: 'ssh', host: '10.0.0.5', boxId: null });

    a.inventory.recordSighting({ boxId: 'SN-1', source: 'mdns', address: '10.0.0.21', addresses: ['10.0.0.21'], hostname: 'edge-01' });
    a.inventory.recordSighting({ boxId: 'SN-2', source: 'mdns', address: '10.0.0.22', addresses: ['10.0.0.22'], hostname: 'edge-01' });
    expect(() => a.connections.resolve('edge-01')).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(a.connections.resolve('SN-2')).toMatchObject({ host: '10.0.0.22', boxId: 'SN-2' });
  });
});

describe('one place for trust decisions and their audit rows', () => {
  it('the audit table takes only the closed list of actions', () => {
    const { audit } = tables();
    expect(() => audit.record({ action: 'trust.whatever' as never, outcome: 'ok' })).toThrow(/Invalid option: expected one of .*trust\.pin.*trust\.refused/);
    audit.record({ action: 'trust.refused', outcome: 'refused' });
  });

  it('no front door writes a pin or a trust audit row itself: only core/trust/trust.ts does', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const files = [
      'electron/cli/commands/trust.ts',
      'electron/core/connections/connections.ts',
      'electron/core/connections/ssh-target.ts',
      'electron/core/trust/handlers.ts',
      'electron/core/trust/typed.ts',
      'electron/core/trust/policy.ts',
      'electron/core/trust/store.ts',
    ];
    for (const f of files) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      expect(text, `${f} pins a key itself`).not.toMatch(/\.pin\(\{/);
      expect(text, `${f} writes a trust audit row itself`).not.toMatch(/action: 'trust\./);
      expect(text, `${f} decides about changed keys itself`).not.toMatch(/'HOST_KEY_CHANGED'/);
    }
  });
});

describe('a swapped key marks its box for every front door', () => {
  it('a pinned box that shows another key is refused and flagged "Key changed!" in the inventory', async () => {
    const a = app();
    const real = newKey();
    const swapped = newKey();
    a.inventory.recordSighting({ boxId: 'SN-SWAP', source: 'mdns', address: '10.77.0.40', serial: 'SN-SWAP', hostname: 'edge-40' });
    a.trust.pin({ host: '10.77.0.40', port: 22, keyType: real.keyType, fingerprint: real.fingerprint, source: 'serial', boxId: 'SN-SWAP' });
    const verdict = await a.hostTrust.checkFor({ host: '10.77.0.40', port: 22, mode: 'strict' }).verify('10.77.0.40', 22, swapped.blob);
    expect(verdict).toMatchObject({ ok: false, error: { code: 'HOST_KEY_CHANGED' } });
    expect(a.inventory.get('SN-SWAP')!.trust).toBe('changed');
  });
});

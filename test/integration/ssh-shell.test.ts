import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FieldlinkError } from '../../shared/errors.ts';
import { AuditLog, TrustStore, openDatabase } from '../../electron/core/db/index.ts';
import { ensureTechnicianKey } from '../../electron/core/keys/index.ts';
import { connectSsh, type ConnectSshOptions } from '../../electron/core/transport/ssh/index.ts';
import { trustPolicy, hostKeyCheck } from '../../electron/core/trust/index.ts';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { describeWith } from '../fixtures/needs.ts';

const skip = canRunSshd();

async function codeOf(p: Promise<unknown>): Promise<FieldlinkError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FieldlinkError);
    return err as FieldlinkError;
  }
  throw new Error('expected a rejection');
}

function processGone(pattern: string, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const check = () => {
      let out = '';
      try {
        out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
      } catch {
        out = '';
      }
      if (!out.trim()) return resolve(true);
      if (Date.now() > end) return resolve(false);
      setTimeout(check, 100);
    };
    check();
  });
}

/** Lines in the sshd debug log that show the client trying to log in (any method, any outcome). */
function authLines(log: string): string[] {
  return log.split('\n').filter((l) => /userauth-request|Failed (password|publickey|none)|Accepted |Postponed|input_userauth_request/.test(l));
}

describeWith(skip, 'SSH shell against a real OpenSSH sshd', () => {
  let d: TestSshd;
  const pinned = () => hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' });
  const base = (): ConnectSshOptions => ({ host: d.host, port: d.port, user: d.user, password: async () => d.password, agent: '', trust: pinned(), timeoutMs: 20_000 });

  beforeAll(async () => {
    d = await startSshd();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('runs a command with stdin and returns stdout, stderr and the exit code separately', async () => {
    const sh = await connectSsh(base());
    try {
      const r = await sh.exec('tr a-z A-Z; echo to-stderr >&2; exit 7', { stdin: 'hello box\n' });
      expect(r.code).toBe(7);
      expect(r.signal).toBeNull();
      expect(Buffer.from(r.stdout).toString()).toBe('HELLO BOX\n');
      expect(Buffer.from(r.stderr).toString()).toBe('to-stderr\n');
      expect(r.truncated).toBe(false);
    } finally {
      await sh.close();
    }
  });

  it('reports a command killed by a signal with the signal name and no exit code', async () => {
    const sh = await connectSsh(base());
    try {
      const r = await sh.exec('kill -TERM $$');
      expect(r.code).toBeNull();
      expect(r.signal).toBe('TERM');
    } finally {
      await sh.close();
    }
  });

  it('keeps only the tail of a flood of output within maxOutputBytes and streams every byte', async () => {
    const sh = await connectSsh(base());
    try {
      let streamed = 0;
      const r = await sh.exec('head -c 3000000 /dev/zero | tr "\\0" x; printf END', { maxOutputBytes: 64 * 1024, onStdout: (c) => (streamed += c.length) });
      expect(r.code).toBe(0);
      expect(r.truncated).toBe(true);
      expect(r.stdout.length).toBe(64 * 1024);
      expect(Buffer.from(r.stdout).subarray(-3).toString()).toBe('END');
      expect(streamed).toBe(3_000_003);
    } finally {
      await sh.close();
    }
  });

  it('a timeout really stops the remote process and rejects with TIMEOUT', async () => {
    const sh = await connectSsh(base());
    try {
      const err = await codeOf(sh.exec('sleep 4242.17; echo never', { timeoutMs: 800 }));
      expect(err.code).toBe('TIMEOUT');
      expect(await processGone('^sleep 4242.17')).toBe(true);
      // The connection is still usable afterwards.
      expect((await sh.exec('echo ok')).code).toBe(0);
    } finally {
      await sh.close();
    }
  });

  it('an AbortSignal really stops the remote process (children too) and rejects with ABORTED', async () => {
    const sh = await connectSsh(base());
    try {
      const ac = new AbortController();
      const p = sh.exec('sleep 4343.5 & sleep 4343.6; wait', { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 500));
      ac.abort();
      const err = await codeOf(p);
      expect(err.code).toBe('ABORTED');
      expect(await processGone('^sleep 4343.5')).toBe(true);
      expect(await processGone('^sleep 4343.6')).toBe(true);
    } finally {
      await sh.close();
    }
  });

  it('queues more concurrent commands than MaxSessions allows instead of failing', async () => {
    const sh = await connectSsh(base());
    try {
      const rs = await Promise.all(Array.from({ length: 25 }, (_, i) => sh.exec(`sleep 0.2; echo ${i}`)));
      expect(rs.map((r) => Buffer.from(r.stdout).toString().trim())).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    } finally {
      await sh.close();
    }
  });

  it('a wrong password is AUTH_FAILED naming the methods tried, and the password never reaches the log', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../electron/core/log/index.ts');
    const log = createLogger({ level: 'debug', destination: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream });
    const err = await codeOf(connectSsh({ ...base(), password: async () => 'wrong-secret-xyz', log }));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toMatch(/password/);
    expect(err.details?.tried).toContain('password');
    expect(lines.join('')).not.toContain('wrong-secret-xyz');
    expect(JSON.stringify(err)).not.toContain('wrong-secret-xyz');
  });

  it('logs in with the technician key (agent and password not needed)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-keys-'));
    try {
      const key = ensureTechnicianKey(dir);
      d.authorize(key.publicKey);
      const sh = await connectSsh({ ...base(), password: undefined, identityFiles: ['/nonexistent/id_rsa', key.privateKeyPath] });
      expect(
        Buffer.from((await sh.exec('whoami')).stdout)
          .toString()
          .trim(),
      ).toBe(d.user);
      await sh.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connecting to a port nobody listens on is LINK_DOWN', async () => {
    const err = await codeOf(connectSsh({ ...base(), port: 1 }));
    expect(err.code).toBe('LINK_DOWN');
  });

  it('an unknown host key is refused in strict mode with the offered fingerprint, before any authentication', async () => {
    const before = d.log().length;
    const err = await codeOf(connectSsh({ ...base(), trust: hostKeyCheck({ pinned: [], mode: 'strict' }) }));
    expect(err.code).toBe('HOST_KEY_UNKNOWN');
    const offered = err.details?.offered as Array<{ keyType: string; fingerprint: string }>;
    expect(d.hostKeys.map((k) => k.fingerprint)).toContain(offered[0]!.fingerprint);
    await new Promise((r) => setTimeout(r, 300));
    const log = d.log().slice(before);
    expect(log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(authLines(log)).toEqual([]);
    // Control: the same log does show authentication when the key is trusted, so the check can fail.
    const mark = d.log().length;
    await (await connectSsh(base())).close();
    await new Promise((r) => setTimeout(r, 300));
    expect(authLines(d.log().slice(mark)).length).toBeGreaterThan(0);
  });

  it('accept-new pins the key as first-use in the trust table and audits it; the next connection is verified', async () => {
    const db = openDatabase(':memory:');
    const store = new TrustStore(db);
    const audit = new AuditLog(db, () => 'test');
    const policy = () => trustPolicy({ store, audit, host: d.host, port: d.port, mode: 'accept-new' });
    const sh = await connectSsh({ ...base(), trust: policy() });
    await sh.close();
    const pins = store.forHost(d.host, d.port);
    expect(pins).toHaveLength(1);
    expect(pins[0]!.source).toBe('first-use');
    expect(pins[0]!.fingerprint).toBe(sh.hostKey.fingerprint);
    expect(audit.list({ limit: 10 }).map((a) => a.action)).toContain('trust.pin');
    const strict = await connectSsh({ ...base(), trust: trustPolicy({ store, host: d.host, port: d.port, mode: 'strict' }) });
    await strict.close();
    db.close();
  });

  it('ask mode shows the offered key to the technician and connects only if they accept', async () => {
    let shown: unknown;
    const no = await codeOf(connectSsh({ ...base(), trust: hostKeyCheck({ pinned: [], mode: 'ask', ask: async (o) => ((shown = o), false) }) }));
    expect(no.code).toBe('HOST_KEY_UNKNOWN');
    expect((shown as Array<{ fingerprint: string }>)[0]!.fingerprint).toMatch(/^SHA256:/);
    const yes = await connectSsh({ ...base(), trust: hostKeyCheck({ pinned: [], mode: 'ask', ask: async () => true }) });
    await yes.close();
  });

  it('a changed host key is refused with old and new fingerprints, and the sshd log shows no authentication attempt', async () => {
    const db = openDatabase(':memory:');
    const store = new TrustStore(db);
    const audit = new AuditLog(db, () => 'test');
    for (const k of d.hostKeys) store.pin({ host: d.host, port: d.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'serial' });
    const oldKeys = d.hostKeys.map((k) => k.fingerprint);
    await d.restart({ newHostKeys: true });
    try {
      const before = d.log().length;
      let asked = false;
      const err = await codeOf(
        connectSsh({ ...base(), password: async () => ((asked = true), d.password), trust: trustPolicy({ store, audit, host: d.host, port: d.port, mode: 'accept-new' }) }),
      );
      expect(err.code).toBe('HOST_KEY_CHANGED');
      expect(asked).toBe(false);
      const det = err.details as { old: Array<{ fingerprint: string }>; new: Array<{ fingerprint: string }> };
      expect(det.old.map((k) => k.fingerprint).sort()).toEqual([...oldKeys].sort());
      expect(d.hostKeys.map((k) => k.fingerprint)).toContain(det.new[0]!.fingerprint);
      expect(err.message).toContain(det.new[0]!.fingerprint);
      expect(err.message).toContain(det.old[0]!.fingerprint);
      await new Promise((r) => setTimeout(r, 300));
      const log = d.log().slice(before);
      expect(log).toMatch(/Connection from 127\.0\.0\.1/);
      expect(authLines(log)).toEqual([]);
      // The pins are unchanged and the refusal is audited.
      expect(
        store
          .forHost(d.host, d.port)
          .map((p) => p.fingerprint)
          .sort(),
      ).toEqual([...oldKeys].sort());
      expect(audit.list({ limit: 5 }).some((a) => a.outcome === 'refused' && a.detail.includes('HOST_KEY_CHANGED'))).toBe(true);
    } finally {
      db.close();
    }
  });
});

describeWith(skip, 'SSH keyboard-interactive login', () => {
  let d: TestSshd;
  beforeAll(async () => {
    d = await startSshd({ password: false, kbdInteractive: true });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('answers the PAM password prompt when the box only offers keyboard-interactive', async () => {
    const sh = await connectSsh({
      host: d.host,
      port: d.port,
      user: d.user,
      agent: '',
      password: async () => d.password,
      trust: hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' }),
    });
    try {
      expect((await sh.exec('true')).code).toBe(0);
    } finally {
      await sh.close();
    }
    const log = d.log();
    expect(log).toMatch(/Accepted keyboard-interactive/);
  });
});

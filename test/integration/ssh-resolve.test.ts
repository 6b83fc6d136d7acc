import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FieldlinkError } from '../../shared/errors.ts';
import { AuditLog, TrustStore, openDatabase } from '../../electron/core/db/index.ts';
import { ensureTechnicianKey } from '../../electron/core/keys/index.ts';
import { connectResolved, connectSsh, probeHostKeys, SshPool } from '../../electron/core/transport/index.ts';
import { resolveSsh } from '../../electron/core/connections/index.ts';
import { pinTypedFingerprint } from '../../electron/core/trust/index.ts';
import { exportKnownHostsFromStore, importKnownHostsIntoStore, PublicKeyBook, hostKeyCheck } from '../../electron/core/trust/index.ts';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { describeWith } from '../fixtures/needs.ts';

const skip = canRunSshd();

describeWith(skip, 'resolving targets, probing keys, agents, keepalive and silent servers', () => {
  let d: TestSshd;
  let tmp: string;
  beforeAll(async () => {
    d = await startSshd();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-resolve-'));
  });
  afterAll(async () => {
    await d?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function deps() {
    const db = openDatabase(':memory:');
    return { db, trust: new TrustStore(db), audit: new AuditLog(db, () => 'test'), book: new PublicKeyBook(tmp), dataDir: tmp };
  }

  it('probes every host key type the box has without logging in', async () => {
    const before = d.log().length;
    const keys = await probeHostKeys(d.host, d.port);
    expect(keys.map((k) => k.fingerprint).sort()).toEqual(d.hostKeys.map((k) => k.fingerprint).sort());
    await new Promise((r) => setTimeout(r, 300));
    expect(d.log().slice(before)).not.toMatch(/userauth-request|Accepted |Failed /);
  });

  it('pins a typed fingerprint only when the box really offers it', async () => {
    const x = deps();
    const wrong = (await pinTypedFingerprint(x, { host: d.host, port: d.port, fingerprint: 'SHA256:' + 'A'.repeat(43) }).catch((e) => e)) as FieldlinkError;
    expect(wrong.code).toBe('HOST_KEY_CHANGED');
    expect(x.trust.list()).toEqual([]);
    const ecdsa = d.hostKeys.find((k) => k.keyType.startsWith('ecdsa'))!;
    await pinTypedFingerprint(x, { host: d.host, port: d.port, fingerprint: ecdsa.fingerprint });
    expect(x.trust.list().map((p) => [p.keyType, p.fingerprint, p.source])).toEqual([[ecdsa.keyType, ecdsa.fingerprint, 'typed']]);
    // The pinned (non-default) key type is asked for first, so a strict connection now verifies.
    const sh = await connectSsh({
      host: d.host,
      port: d.port,
      user: d.user,
      agent: '',
      password: async () => d.password,
      trust: hostKeyCheck({ pinned: x.trust.forHost(d.host, d.port), mode: 'strict' }),
    });
    expect(sh.hostKey.fingerprint).toBe(ecdsa.fingerprint);
    await sh.close();
    x.db.close();
  });

  it('resolves ssh config (HostName, Port, User, IdentityFile, ProxyJump) and connects through the jump host', async () => {
    const x = deps();
    for (const k of d.hostKeys) x.trust.pin({ host: '127.0.0.1', port: d.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'serial' });
    const key = ensureTechnicianKey(tmp);
    d.authorize(key.publicKey);
    const home = path.join(tmp, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(
      path.join(home, '.ssh', 'config'),
      `Host thebox\n  HostName 127.0.0.1\n  Port ${d.port}\n  User ${d.user}\n  ProxyJump jumphost\nHost jumphost\n  HostName 127.0.0.1\n  Port ${d.port}\n  User ${d.user}\n`,
    );
    const r = resolveSsh({ host: 'thebox' }, x, { mode: 'strict', home });
    expect(r.target).toMatchObject({ host: '127.0.0.1', port: d.port, user: d.user });
    expect(r.target.identityFiles).toContain(key.privateKeyPath);
    expect(r.jumps).toHaveLength(1);
    expect(r.jumps[0]!.password).toBeUndefined();
    // Earlier connections may still be closing: count only the ones this connect opens (hop + box).
    const before = new Set(d.sessionPids());
    const sh = await connectResolved(r);
    expect(d.sessionPids().filter((p) => !before.has(p))).toHaveLength(2);
    expect(Buffer.from((await sh.exec('echo through')).stdout).toString()).toBe('through\n');
    await sh.close();
    // The pool takes the same resolved target, hops included.
    const pool = new SshPool();
    try {
      expect(Buffer.from((await pool.shell({ ...r.target, jumps: r.jumps }).exec('echo pooled')).stdout).toString()).toBe('pooled\n');
    } finally {
      await pool.close();
    }
    // Verified connections leave the full key in the book, so the pins export to known_hosts.
    const out = exportKnownHostsFromStore(x, { hash: true });
    expect(out.exported).toBe(1);
    const kh = path.join(tmp, 'kh');
    fs.writeFileSync(kh, out.text);
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${d.port}`, '-f', kh], { encoding: 'utf8' })).toContain('|1|');
    // And it imports back into a fresh store; a conflicting existing pin is reported, not overwritten.
    const y = deps();
    y.trust.pin({ host: '127.0.0.1', port: d.port, keyType: sh.hostKey.keyType, fingerprint: 'SHA256:' + 'B'.repeat(43), source: 'typed' });
    const imp = importKnownHostsIntoStore(y, out.text, [{ host: '127.0.0.1', port: d.port }]);
    expect(imp.conflicts).toHaveLength(1);
    expect(y.trust.forHost('127.0.0.1', d.port)[0]!.fingerprint).toBe('SHA256:' + 'B'.repeat(43));
    x.db.close();
    y.db.close();
  });

  it('logs in through a real ssh-agent first, as OpenSSH does', async () => {
    const sock = path.join(tmp, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const keyFile = path.join(tmp, 'agent_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
      execFileSync('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      d.authorize(fs.readFileSync(`${keyFile}.pub`, 'utf8'));
      const mark = d.log().length;
      const sh = await connectSsh({
        host: d.host,
        port: d.port,
        user: d.user,
        agent: sock,
        password: async () => 'not-used',
        trust: hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' }),
      });
      await sh.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(d.log().slice(mark)).toMatch(/Accepted publickey/);
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('a link that goes silent is detected by keepalive: in-flight work fails LINK_DOWN, not a hang', async () => {
    const sh = await connectSsh({
      host: d.host,
      port: d.port,
      user: d.user,
      agent: '',
      password: async () => d.password,
      trust: hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' }),
      keepaliveMs: 300,
    });
    // Freeze the server side (the only open connection: its monitor and children), like a cut cable
    // that sends no RST: only keepalive can notice.
    const tree = d.sessionPids().flatMap((p) => [
      p,
      ...execFileSync('sh', ['-c', `pgrep -P ${p}; for c in $(pgrep -P ${p}); do pgrep -P $c; done; true`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number),
    ]);
    for (const p of tree) {
      try {
        process.kill(p, 'SIGSTOP');
      } catch {
        // A process of an earlier, closing connection may be gone between listing and stopping.
      }
    }
    try {
      const t0 = Date.now();
      const err = (await sh.exec('echo hi', { timeoutMs: 30_000 }).catch((e) => e)) as FieldlinkError;
      expect(['LINK_DOWN', 'TIMEOUT']).toContain(err.code);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(sh.alive).toBe(false);
    } finally {
      for (const p of tree) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // Gone already.
        }
      }
    }
  });

  it('a server that accepts TCP but never speaks SSH times out within the connect timeout', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const err = (await connectSsh({ host: '127.0.0.1', port, agent: '', trust: hostKeyCheck({ pinned: [], mode: 'strict' }), timeoutMs: 1500 }).catch(
        (e) => e,
      )) as FieldlinkError;
      expect(err.code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it('a server that answers with garbage is a clear error, not a hang', async () => {
    const noisy = net.createServer((s) => {
      s.write(Buffer.alloc(300_000, 0x41));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => noisy.listen(0, '127.0.0.1', r));
    const port = (noisy.address() as net.AddressInfo).port;
    try {
      const err = (await connectSsh({ host: '127.0.0.1', port, agent: '', trust: hostKeyCheck({ pinned: [], mode: 'strict' }), timeoutMs: 5000 }).catch(
        (e) => e,
      )) as FieldlinkError;
      expect(err).toBeInstanceOf(FieldlinkError);
      expect(['PROTOCOL', 'LINK_DOWN', 'TIMEOUT']).toContain(err.code);
    } finally {
      noisy.close();
    }
  });

  it('cancelling a connect with an AbortSignal rejects ABORTED at once', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      const err = (await connectSsh({ host: '127.0.0.1', port, agent: '', trust: hostKeyCheck({ pinned: [], mode: 'strict' }), signal: ac.signal }).catch(
        (e) => e,
      )) as FieldlinkError;
      expect(err.code).toBe('ABORTED');
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});

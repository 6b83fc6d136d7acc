import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditLog, TrustStore, openDatabase } from '../../electron/core/db/index.ts';
import { connectSsh } from '../../electron/core/transport/ssh/index.ts';
import { expandIdentityFile, resolveSshConfig } from '../../electron/core/transport/sshconfig.ts';
import { exportKnownHosts, importKnownHosts, lookupKnownHosts, proveHostKeys, readHostKeys, hostKeyCheck, trustPolicy } from '../../electron/core/trust/index.ts';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { describeWith } from '../fixtures/needs.ts';

const skip = canRunSshd();

describeWith(skip, 'host-key trust with real OpenSSH tools as the judge', () => {
  let d: TestSshd;
  let tmp: string;
  beforeAll(async () => {
    d = await startSshd({ keyTypes: ['ed25519', 'ecdsa', 'rsa'] });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-trust-'));
  });
  afterAll(async () => {
    await d?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('readHostKeys over a Shell returns exactly the fingerprints ssh-keygen prints for the box keys', async () => {
    const sh = await connectSsh({
      host: d.host,
      port: d.port,
      user: d.user,
      agent: '',
      password: async () => d.password,
      trust: hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' }),
    });
    try {
      // The fixture's keys live in its folder, not /etc/ssh: read the machine's own /etc/ssh keys and compare with ssh-keygen locally.
      const expected = fs
        .readdirSync('/etc/ssh')
        .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
        .map((f) => execFileSync('ssh-keygen', ['-lf', path.join('/etc/ssh', f)], { encoding: 'utf8' }).split(' ')[1]!)
        .sort();
      if (expected.length === 0) {
        await expect(readHostKeys(sh)).rejects.toMatchObject({ code: 'REMOTE_FAILED' });
        return;
      }
      const keys = await readHostKeys(sh);
      expect(keys.map((k) => k.fingerprint).sort()).toEqual(expected);
      for (const k of keys) expect(k.publicKey).toMatch(new RegExp(`^${k.keyType} `));
    } finally {
      await sh.close();
    }
  });

  it('known_hosts written by ssh-keyscan, then hashed by ssh-keygen -H, imports into pins that verify the real server', async () => {
    const kh = path.join(tmp, 'known_hosts');
    const scanned = execFileSync('ssh-keyscan', ['-p', String(d.port), '-t', 'ed25519,ecdsa,rsa', '127.0.0.1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    fs.writeFileSync(kh, scanned);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    const hashed = fs.readFileSync(kh, 'utf8');
    expect(hashed).toMatch(/^\|1\|/m);
    expect(hashed).not.toContain('127.0.0.1');

    const found = lookupKnownHosts(hashed, '127.0.0.1', d.port);
    expect(found.keys.map((k) => k.fingerprint).sort()).toEqual(d.hostKeys.map((k) => k.fingerprint).sort());
    expect(lookupKnownHosts(hashed, '127.0.0.2', d.port).keys).toEqual([]);

    const imp = importKnownHosts(hashed, [{ host: '127.0.0.1', port: d.port }]);
    expect(imp.keys).toHaveLength(3);
    const db = openDatabase(':memory:');
    const store = new TrustStore(db);
    for (const k of imp.keys) store.pin({ host: k.host, port: k.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'known-hosts' });
    const sh = await connectSsh({
      host: d.host,
      port: d.port,
      user: d.user,
      agent: '',
      password: async () => d.password,
      trust: hostKeyCheck({ pinned: store.forHost(d.host, d.port), mode: 'strict' }),
    });
    await sh.close();
    db.close();
  });

  it('exported known_hosts (plain and hashed) is found by ssh-keygen -F and accepted by the OpenSSH client', async () => {
    const pins = d.hostKeys.map((k) => ({
      host: '127.0.0.1',
      port: d.port,
      boxId: null,
      keyType: k.keyType,
      fingerprint: k.fingerprint,
      source: 'serial' as const,
      pinnedAt: new Date().toISOString(),
    }));
    for (const hash of [false, true]) {
      const out = exportKnownHosts(pins, d.hostKeys, { hash });
      expect(out.exported).toBe(3);
      const kh = path.join(tmp, `export-${hash}`);
      fs.writeFileSync(kh, out.text);
      const f = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${d.port}`, '-f', kh], { encoding: 'utf8' });
      expect(f.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(3);
      // The real ssh client, strict, with only our file: host key accepted (it then fails auth in batch mode, which is fine).
      let stderr = '';
      try {
        execFileSync(
          'ssh',
          [
            '-F',
            '/dev/null',
            '-o',
            'BatchMode=yes',
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            `UserKnownHostsFile=${kh}`,
            '-o',
            'PreferredAuthentications=none',
            '-p',
            String(d.port),
            `${d.user}@127.0.0.1`,
            'true',
          ],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 20_000,
          },
        );
      } catch (err) {
        stderr = String((err as { stderr?: string }).stderr ?? '');
      }
      expect(stderr).not.toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect(stderr).toMatch(/Permission denied/);
    }
  });

  it('a first-use key is pinned only once the login completed: a refused login (wrong password) leaves no pin', async () => {
    // ssh2 asks the host verifier before it checks the server's signature, and long before the login:
    // a pin written there would trust a server that proved nothing.
    const db = openDatabase(':memory:');
    const store = new TrustStore(db);
    const audit = new AuditLog(db, () => 'test');
    try {
      const check = () => trustPolicy({ store, audit, host: d.host, port: d.port, mode: 'accept-new' });
      const err = (await connectSsh({ host: d.host, port: d.port, user: d.user, agent: '', password: async () => 'wrong-password', trust: check(), timeoutMs: 20_000 }).catch(
        (e) => e,
      )) as { code?: string };
      expect(err.code).toBe('AUTH_FAILED');
      expect(store.forHost(d.host, d.port)).toEqual([]);
      expect(audit.list({ limit: 10 }).filter((a) => a.action === 'trust.pin')).toEqual([]);
      // Control: the same check with the right password pins the key it proved, as first use.
      const sh = await connectSsh({ host: d.host, port: d.port, user: d.user, agent: '', password: async () => d.password, trust: check(), timeoutMs: 20_000 });
      await sh.close();
      expect(store.forHost(d.host, d.port)).toMatchObject([{ fingerprint: sh.hostKey.fingerprint, source: 'first-use' }]);
    } finally {
      db.close();
    }
  });

  it('proveHostKeys has the server sign with each key before a first-use pin, sending no credential', async () => {
    const before = d.log().length;
    await proveHostKeys(d.host, d.port, d.hostKeys);
    // It reached the login for every key type and stopped there: no password or key was offered.
    expect(d.log().slice(before)).not.toMatch(/Failed password|Accepted |Failed publickey/);
    const other = { keyType: d.hostKeys[0]!.keyType, fingerprint: `SHA256:${'Z'.repeat(43)}` };
    await expect(proveHostKeys(d.host, d.port, [other])).rejects.toMatchObject({ code: 'HOST_KEY_CHANGED' });
  });

  it('resolves ~/.ssh/config like `ssh -G` does: Host patterns, negation, first value wins, IdentityFile accumulates, ProxyJump', () => {
    const cfg = path.join(tmp, 'config');
    fs.writeFileSync(
      cfg,
      [
        '# site boxes',
        'Host box-* !box-9',
        '  User tech',
        '  Port 2222',
        '  IdentityFile ~/.ssh/id_box_%h',
        'Host box-1 box-2',
        '  HostName 10.77.0.%h',
        '  User ignored-because-first-wins',
        '  ProxyJump jumper@gw:2200,gw2',
        'Host=gw',
        '  HostName=192.0.2.1',
        'Match exec "false"',
        '  User never',
        'Host *',
        '  IdentityFile %d/.ssh/fallback_%r',
        '  Port 22',
        '',
      ].join('\n'),
    );
    const text = fs.readFileSync(cfg, 'utf8');
    for (const alias of ['box-1', 'box-2', 'box-7', 'box-9', 'gw', 'other']) {
      const g = execFileSync('ssh', ['-G', '-F', cfg, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const get = (k: string) =>
        g
          .split('\n')
          .filter((l) => l.startsWith(`${k} `))
          .map((l) => l.slice(k.length + 1));
      const ours = resolveSshConfig(text, alias, { file: cfg });
      expect(ours.hostName, alias).toBe(get('hostname')[0]);
      expect(String(ours.port ?? 22), alias).toBe(get('port')[0]);
      if (ours.user !== null) expect(ours.user, alias).toBe(get('user')[0]);
      expect(ours.identityFiles, alias).toEqual(get('identityfile'));
      expect(ours.proxyJumpRaw ?? undefined, alias).toBe(get('proxyjump')[0]);
    }
    const b1 = resolveSshConfig(text, 'box-1');
    expect(b1.proxyJump).toEqual([
      { user: 'jumper', host: 'gw', port: 2200 },
      { user: null, host: 'gw2', port: null },
    ]);
    expect(expandIdentityFile(b1.identityFiles[0]!, { home: '/home/t', host: b1.hostName, user: 'tech', port: 2222 })).toBe('/home/t/.ssh/id_box_10.77.0.box-1');
    expect(expandIdentityFile(b1.identityFiles[1]!, { home: '/home/t', host: b1.hostName, user: 'tech', port: 2222 })).toBe('/home/t/.ssh/fallback_tech');
  });
});

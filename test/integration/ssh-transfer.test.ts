import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { FieldlinkError } from '../../shared/errors.ts';
import { connectSsh, partialPath, SshPool, type ConnectSshOptions } from '../../electron/core/transport/ssh/index.ts';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { describeWith } from '../fixtures/needs.ts';
import { hostKeyCheck } from '../../electron/core/trust/index.ts';

const skip = canRunSshd();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describeWith(skip, 'SFTP put/get, tunnels, terminals and the pool against a real sshd', () => {
  let d: TestSshd;
  const base = (): ConnectSshOptions => ({
    host: d.host,
    port: d.port,
    user: d.user,
    password: async () => d.password,
    agent: '',
    trust: hostKeyCheck({ pinned: d.hostKeys, mode: 'strict' }),
  });

  beforeAll(async () => {
    d = await startSshd();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('put writes atomically with the mode asked and get returns the same bytes, sha256-checked on the box', async () => {
    const sh = await connectSsh(base());
    try {
      const data = randomBytes(700_000);
      const target = path.join(d.home, 'blob.bin');
      const progress: number[] = [];
      await sh.put(target, data, 0o640, { onProgress: (done) => progress.push(done) });
      expect(sha(fs.readFileSync(target))).toBe(sha(data));
      expect(fs.statSync(target).mode & 0o777).toBe(0o640);
      expect(progress.at(-1)).toBe(data.length);
      expect(fs.readdirSync(d.home).filter((f) => f.endsWith('.flpart'))).toEqual([]);
      const back = await sh.get(target);
      expect(sha(back)).toBe(sha(data));
      // Overwrite in place: the old file is replaced whole.
      await sh.put(target, Buffer.from('small'), 0o600);
      expect(fs.readFileSync(target, 'utf8')).toBe('small');
    } finally {
      await sh.close();
    }
  });

  it('get of a missing file is NOT_FOUND, put into a missing folder is a clear error', async () => {
    const sh = await connectSsh(base());
    try {
      expect(((await sh.get('/nonexistent/file').catch((e) => e)) as FieldlinkError).code).toBe('NOT_FOUND');
      const e = (await sh.put('/nonexistent-dir/x', Buffer.from('x')).catch((err) => err)) as FieldlinkError;
      expect(e).toBeInstanceOf(FieldlinkError);
      expect(['NOT_FOUND', 'REMOTE_FAILED']).toContain(e.code);
    } finally {
      await sh.close();
    }
  });

  it('a server that drops mid-upload gives LINK_DOWN, and the next put resumes from the verified partial file', async () => {
    const data = randomBytes(48 * 1024 * 1024);
    const target = path.join(d.home, 'big.bin');
    const sh = await connectSsh(base());
    let killed = false;
    const err = (await sh
      .put(target, data, 0o644, {
        onProgress: (done) => {
          if (!killed && done > 8 * 1024 * 1024) {
            killed = true;
            // Kill the per-connection sshd serving us: the box "drops" mid-SFTP.
            d.dropConnections();
          }
        },
      })
      .catch((e) => e)) as FieldlinkError;
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(FieldlinkError);
    expect(err.code).toBe('LINK_DOWN');
    expect(sh.alive).toBe(false);
    const parts = fs.readdirSync(d.home).filter((f) => /^\.big\.bin\.[0-9a-f]{16}\.[0-9a-f]{16}\.flpart$/.test(f));
    expect(parts).toHaveLength(1);
    const part = path.join(d.home, parts[0]!);
    expect(part.startsWith(partialPath(target, sha(data), '').replace(/\.flpart$/, ''))).toBe(true);
    expect(fs.statSync(part).mode & 0o777).toBe(0o600);
    const partial = fs.statSync(part).size;
    expect(partial).toBeGreaterThan(0);
    expect(fs.existsSync(target)).toBe(false);

    const again = await connectSsh(base());
    try {
      const r = await again.putResumable(target, data, 0o644);
      expect(r.resumedFrom).toBe(partial);
      expect(sha(fs.readFileSync(target))).toBe(sha(data));
      expect(fs.existsSync(part)).toBe(false);
    } finally {
      await again.close();
    }
  });

  it('a partial upload whose bytes do not match is discarded, not resumed', async () => {
    const data = randomBytes(200_000);
    const target = path.join(d.home, 'mismatch.bin');
    const stale = partialPath(target, sha(data), 'ab'.repeat(8));
    fs.writeFileSync(stale, randomBytes(50_000));
    fs.chownSync(stale, fs.statSync(d.home).uid, fs.statSync(d.home).gid);
    const sh = await connectSsh(base());
    try {
      const r = await sh.putResumable(target, data);
      expect(r.resumedFrom).toBe(0);
      expect(sha(fs.readFileSync(target))).toBe(sha(data));
      expect(fs.existsSync(stale)).toBe(false);
    } finally {
      await sh.close();
    }
  });

  it('a link planted at a partial name, or a partial of another user, never steers or joins the upload', async () => {
    const data = randomBytes(300_000);
    const target = path.join(d.home, 'k3s');
    const victim = path.join(d.home, 'victim');
    fs.writeFileSync(victim, 'precious');
    fs.chownSync(victim, fs.statSync(d.home).uid, fs.statSync(d.home).gid);
    const digest16 = sha(data).slice(0, 16);
    // The old content-derived name, and one of the new shape: both guessable by someone on the box.
    const planted = [path.join(d.home, `.k3s.${digest16}.flpart`), partialPath(target, sha(data), '0'.repeat(16))];
    for (const p of planted) {
      fs.symlinkSync(victim, p);
      fs.lchownSync(p, fs.statSync(d.home).uid, fs.statSync(d.home).gid);
    }
    // The right prefix of the right bytes, but owned by root, not the login user: not continued.
    const foreign = partialPath(target, sha(data), '1'.repeat(16));
    fs.writeFileSync(foreign, data.subarray(0, 100_000));
    const sh = await connectSsh(base());
    try {
      const r = await sh.putResumable(target, data, 0o755);
      expect(r.resumedFrom).toBe(0);
      expect(sha(fs.readFileSync(target))).toBe(sha(data));
      expect(fs.lstatSync(target).isSymbolicLink()).toBe(false);
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
      for (const p of planted) expect(fs.readlinkSync(p)).toBe(victim);
      expect(Buffer.compare(fs.readFileSync(foreign), data.subarray(0, 100_000))).toBe(0);
    } finally {
      await sh.close();
      for (const p of [...planted, foreign, victim, target]) fs.rmSync(p, { force: true });
    }
  });

  it('getToFile resumes a cut download from the local partial file', async () => {
    const data = randomBytes(40 * 1024 * 1024);
    const remote = path.join(d.home, 'down.bin');
    fs.writeFileSync(remote, data);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-get-'));
    const local = path.join(dir, 'down.bin');
    try {
      const sh = await connectSsh(base());
      let killed = false;
      const err = (await sh
        .getToFile(remote, local, {
          onProgress: (done) => {
            if (!killed && done > 6 * 1024 * 1024) {
              killed = true;
              d.dropConnections();
            }
          },
        })
        .catch((e) => e)) as FieldlinkError;
      expect(err.code).toBe('LINK_DOWN');
      const partial = fs.statSync(`${local}.flpart`).size;
      expect(partial).toBeGreaterThan(0);
      const again = await connectSsh(base());
      const r = await again.getToFile(remote, local);
      await again.close();
      expect(r.resumedFrom).toBe(partial);
      expect(sha(fs.readFileSync(local))).toBe(sha(data));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a download onto a full local disk ends in a STORAGE error and the connection keeps working', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const remote = path.join(d.home, 'too-big.bin');
    fs.writeFileSync(remote, data);
    // A real full disk: a 512 KiB tmpfs, mounted in this test's own mount namespace.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'fl-full', dir]);
    const sh = await connectSsh(base());
    try {
      const err = (await sh.getToFile(remote, path.join(dir, 'too-big.bin')).catch((e) => e)) as FieldlinkError;
      expect(err).toBeInstanceOf(FieldlinkError);
      expect(err.code).toBe('STORAGE');
      expect(err.message).toMatch(/could not be written on this computer/);
      expect((await sh.exec('echo still here')).code).toBe(0);
    } finally {
      await sh.close();
      execFileSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('carries 50 concurrent tunnel streams over one connection, each echoing its own bytes', async () => {
    const server = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const sh = await connectSsh(base());
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const stream = await sh.forwardOut('127.0.0.1', port);
          const payload = randomBytes(64 * 1024 + i);
          const got: Buffer[] = [];
          let n = 0;
          await new Promise<void>((resolve, reject) => {
            stream.on('data', (c: Buffer) => {
              got.push(c);
              n += c.length;
              if (n >= payload.length) resolve();
            });
            stream.on('error', reject);
            stream.write(payload);
          });
          stream.end();
          return sha(Buffer.concat(got)) === sha(payload);
        }),
      );
      expect(results.every(Boolean)).toBe(true);
    } finally {
      await sh.close();
      server.close();
    }
  });

  it('a ProxyJump hop: connects to the box through a tunnel from another connection', async () => {
    const jump = await connectSsh(base());
    try {
      const sock = await jump.forwardOut('127.0.0.1', d.port);
      const inner = await connectSsh({ ...base(), sock });
      expect(Buffer.from((await inner.exec('echo via-jump')).stdout).toString()).toBe('via-jump\n');
      await inner.close();
    } finally {
      await jump.close();
    }
  });

  it('opens a PTY terminal that runs commands and can be resized', async () => {
    const sh = await connectSsh(base());
    try {
      const t = await sh.openTerminal({ cols: 80, rows: 24 });
      let out = '';
      t.stream.on('data', (c: Buffer) => (out += c.toString()));
      t.resize(132, 40);
      await new Promise((r) => setTimeout(r, 200));
      t.stream.write('stty size; echo MARK-$((6*7)); exit\n');
      await new Promise<void>((r) => t.stream.on('close', () => r()));
      expect(out).toContain('MARK-42');
      expect(out).toMatch(/40 132/);
    } finally {
      await sh.close();
    }
  });

  it('the pool reuses one connection across calls and reconnects after the link drops', async () => {
    const pool = new SshPool({ backoff: { initialMs: 100, attempts: 6 } });
    try {
      const target = { ...base() };
      const sh = pool.shell(target);
      // Earlier tests' connections may still be closing: count only connections that appear now.
      const before = new Set(d.sessionPids());
      await sh.exec('true');
      const pids1 = d.sessionPids();
      for (let i = 0; i < 10; i++) await sh.exec('true');
      expect(d.sessionPids()).toEqual(pids1);
      expect(pids1.filter((p) => !before.has(p))).toHaveLength(1);
      expect(pool.size).toBe(1);
      // Drop the link under the pool; once the pool has seen it go, the next call opens a fresh
      // connection. (A call made before the client notices runs on the dying link and fails with
      // LINK_DOWN, by design: a command that may have run is never sent twice.)
      d.dropConnections();
      await vi.waitFor(() => expect(pool.size).toBe(0), { timeout: 10_000 });
      expect(Buffer.from((await sh.exec('echo back')).stdout).toString()).toBe('back\n');
      expect(pool.size).toBe(1);
      // A call made while the box is down backs off and retries until it is up again.
      await d.down();
      await vi.waitFor(() => expect(pool.size).toBe(0), { timeout: 10_000 });
      const whileDown = sh.exec('echo after-restart');
      await new Promise((r) => setTimeout(r, 700));
      await d.up();
      expect(Buffer.from((await whileDown).stdout).toString()).toBe('after-restart\n');
    } finally {
      await pool.close();
    }
  });

  it('the pool does not retry a refused host key: the error is immediate and final', async () => {
    const pool = new SshPool({ backoff: { initialMs: 2000, attempts: 5 } });
    try {
      const mark = d.log().length;
      const err = (await pool
        .shell({ ...base(), trust: hostKeyCheck({ pinned: [], mode: 'strict' }) })
        .exec('true')
        .catch((e) => e)) as FieldlinkError;
      expect(err.code).toBe('HOST_KEY_UNKNOWN');
      await new Promise((r) => setTimeout(r, 300));
      // One connection only: a retry would show up as a second "Connection from" in the server log.
      expect(
        d
          .log()
          .slice(mark)
          .match(/Connection from/g),
      ).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult, Shell } from '../transport/index.ts';
import { installPublicKey } from './index.ts';

/** The install script run by this machine's sh with HOME in a temp folder: what a box's shell would do. */
function localShell(home: string, seen: { commands: string[] }): Shell {
  return {
    kind: 'ssh',
    target: 'root@local:22',
    async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
      seen.commands.push(command);
      const r = spawnSync('sh', ['-c', command], { input: opts.stdin, env: { PATH: process.env.PATH, HOME: home } });
      return { code: r.status, signal: null, stdout: r.stdout, stderr: r.stderr, truncated: false };
    },
    put: () => Promise.reject(new Error('not used')),
    get: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx3s0mLhJj2Yc1v6X8Yy2v9jzQkN2yq8l1zQk3xYb4a fieldlink@laptop';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('installPublicKey', () => {
  it('creates ~/.ssh 0700 and authorized_keys 0600, passes the key on stdin, and adds it once', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-ak-'));
    dirs.push(home);
    const seen = { commands: [] as string[] };
    const shell = localShell(home, seen);
    expect(await installPublicKey(shell, KEY)).toEqual({ added: true });
    expect(await installPublicKey(shell, KEY.replace('fieldlink@laptop', 'renamed'))).toEqual({ added: false });
    const file = path.join(home, '.ssh', 'authorized_keys');
    expect(fs.readFileSync(file, 'utf8')).toBe(`${KEY}\n`);
    expect(fs.statSync(path.join(home, '.ssh')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(seen.commands.some((c) => c.includes('AAAAC3'))).toBe(false);
  });

  it('keeps the keys already there, ends a last line that has no newline, and fixes loose modes', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-ak-'));
    dirs.push(home);
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o755 });
    const file = path.join(home, '.ssh', 'authorized_keys');
    fs.writeFileSync(file, '# site keys\nfrom="10.0.0.0/8" ssh-rsa AAAAB3Nza other@site', { mode: 0o644 });
    expect(await installPublicKey(localShell(home, { commands: [] }), KEY)).toEqual({ added: true });
    expect(fs.readFileSync(file, 'utf8')).toBe(`# site keys\nfrom="10.0.0.0/8" ssh-rsa AAAAB3Nza other@site\n${KEY}\n`);
    expect(fs.statSync(path.join(home, '.ssh')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses what is not a public key line before touching the box', async () => {
    const seen = { commands: [] as string[] };
    await expect(installPublicKey(localShell('/nonexistent', seen), 'ssh-ed25519 AAAA\nrm -rf /')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(installPublicKey(localShell('/nonexistent', seen), '-----BEGIN OPENSSH PRIVATE KEY-----')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(seen.commands).toEqual([]);
  });
});

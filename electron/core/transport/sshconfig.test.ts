import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { itWith } from '../../../test/fixtures/needs.ts';
import { loadSshConfig, parseJumpSpec, resolveSshConfig } from './sshconfig.ts';

describe('ssh config', () => {
  it('first value wins, IdentityFile accumulates, = and quotes are accepted', () => {
    const text = ['Host a', '  Port=2200', '  IdentityFile "~/.ssh/with space"', 'Host *', '  Port 22', '  User root', '  IdentityFile ~/.ssh/id_ed25519'].join('\n');
    const r = resolveSshConfig(text, 'a');
    expect(r.port).toBe(2200);
    expect(r.user).toBe('root');
    expect(r.identityFiles).toEqual(['~/.ssh/with space', '~/.ssh/id_ed25519']);
    expect(r.hostName).toBe('a');
  });
  it('follows Include relative to ~/.ssh, with a wildcard', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-home-'));
    try {
      fs.mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true });
      fs.writeFileSync(path.join(home, '.ssh', 'conf.d', 'site.conf'), 'Host site-*\n  User tech\n  ProxyJump gw\n');
      fs.writeFileSync(path.join(home, '.ssh', 'config'), 'Include conf.d/*.conf\nHost *\n  User nobody\n');
      const r = loadSshConfig('site-3', { home });
      expect(r.user).toBe('tech');
      expect(r.proxyJump).toEqual([{ user: null, host: 'gw', port: null }]);
      expect(loadSshConfig('other', { home }).user).toBe('nobody');
      expect(loadSshConfig('x', { home: path.join(home, 'missing') }).user).toBeNull();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
  it('rejects a bad port and a bad jump with a typed error', () => {
    expect(() => resolveSshConfig('Port 99999', 'a')).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('"Port 99999" is not a port number') }),
    );
    expect(() => parseJumpSpec('a@b@c:x')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('is not a ProxyJump hop') }));
    expect(parseJumpSpec('none')).toEqual([]);
    expect(parseJumpSpec('ssh://u@[fe80::1]:22')).toEqual([{ user: 'u', host: 'fe80::1', port: 22 }]);
  });

  // Held to the real tool: what OpenSSH's own `ssh -G` resolves (it prints and exits; no connection).
  itWith(fs.existsSync('/usr/bin/ssh') ? null : 'needs /usr/bin/ssh (openssh-client)', 'resolves Host patterns, negation and first-value-wins exactly as ssh -G does', () => {
    const text = [
      'Host gw',
      '  HostName 192.0.2.1',
      '  User jump',
      'Host box-* !box-skip',
      '  User tech',
      '  Port 2222',
      '  IdentityFile ~/.ssh/site_key',
      '  ProxyJump jump@gw:2200',
      'Host box-skip',
      '  HostName 192.0.2.99',
      'Host *',
      '  User root',
      '  Port 22',
      '  IdentityFile ~/.ssh/id_ed25519',
    ].join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sshg-'));
    try {
      const file = path.join(dir, 'config');
      fs.writeFileSync(file, text);
      for (const alias of ['box-1', 'box-skip', 'gw', 'other']) {
        const g = execFileSync('ssh', ['-G', '-F', file, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
        const value = (k: string) => g.filter((l) => l.startsWith(`${k} `)).map((l) => l.slice(k.length + 1));
        const ours = resolveSshConfig(text, alias);
        expect({ alias, hostName: ours.hostName, user: ours.user, port: ours.port ?? 22, identityFiles: ours.identityFiles, proxyJump: ours.proxyJumpRaw }).toEqual({
          alias,
          hostName: value('hostname')[0],
          user: value('user')[0],
          port: Number(value('port')[0]),
          identityFiles: value('identityfile'),
          proxyJump: value('proxyjump')[0] ?? null,
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

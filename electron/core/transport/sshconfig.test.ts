import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
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
    expect(() => resolveSshConfig('Port 99999', 'a')).toThrow(FieldlinkError);
    expect(() => parseJumpSpec('a@b@c:x')).toThrow(FieldlinkError);
    expect(parseJumpSpec('none')).toEqual([]);
    expect(parseJumpSpec('ssh://u@[fe80::1]:22')).toEqual([{ user: 'u', host: 'fe80::1', port: 22 }]);
  });
});

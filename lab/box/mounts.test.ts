import { describe, expect, it } from 'vitest';
import { itWith, needsRoot } from '../../test/fixtures/needs.ts';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boxMounts, ETC_SHARED, fstabField, mountPoints, mountTable } from './mounts.ts';

/** A stand-in for the build machine's / with the kinds of entries a real one has. */
function fakeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-root-'));
  for (const d of ['usr', 'opt', 'home', 'proc', 'run', 'tmp', 'etc', 'var', 'root', 'srv']) fs.mkdirSync(path.join(root, d));
  fs.symlinkSync('usr/bin', path.join(root, 'bin'));
  fs.writeFileSync(path.join(root, 'swapfile'), '');
  return root;
}

function entries(fstab: string): string[][] {
  return fstab
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
}

describe('box mount table', () => {
  const box = '/run/fieldlink-lab/boxes/box-01';

  it('gives the box its own folders, then the host read-only, then its /run, /tmp and /proc, in that order', () => {
    const root = fakeRoot();
    try {
      const { fstab, eachReadOnly } = boxMounts(box, root, new Set(['/']));
      const rows = entries(fstab);
      expect(rows.every((r) => r.length === 6)).toBe(true);
      const targets = rows.map((r) => r[1]);
      // The shared /etc folders are bound into the box's /etc before it is bound (recursively) over /etc.
      for (const d of ETC_SHARED) expect(targets.indexOf(`${box}/etc/${d}`)).toBeLessThan(targets.indexOf('/etc'));
      expect(rows.find((r) => r[1] === '/etc')).toEqual([`${box}/etc`, '/etc', 'none', 'rbind', '0', '0']);
      // Real folders of / become read-only binds; symlinks, files, kernel and private folders do not,
      // nor the folder the box itself lives under (/run here).
      const readOnly = rows.filter((r) => r[3] === 'bind,ro' && r[0] === r[1]).map((r) => r[1]);
      expect(readOnly).toEqual(['/home', '/opt', '/srv', '/usr']);
      expect(eachReadOnly).toEqual([]);
      // /run before /tmp and /proc, and /proc last: the box folder may live under /tmp.
      expect(targets.slice(-3)).toEqual(['/run', '/tmp', '/proc']);
      expect(rows.at(-1)).toEqual(['box-proc', '/proc', 'proc', 'nosuid,nodev,noexec', '0', '0']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('leaves host folders that are mount points to be bound one by one, since mount -a would skip them', () => {
    const root = fakeRoot();
    try {
      const { fstab, eachReadOnly } = boxMounts(box, root, new Set(['/', '/home']));
      expect(eachReadOnly).toEqual(['/home']);
      expect(entries(fstab).some((r) => r[1] === '/home')).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('escapes spaces, tabs, newlines and backslashes as fstab does', () => {
    expect(fstabField('/tmp/lab dir/a\tb\\c\nd')).toBe('/tmp/lab\\040dir/a\\011b\\134c\\012d');
    const root = fakeRoot();
    try {
      const { fstab } = boxMounts('/tmp/my lab/boxes/box-01', root, new Set());
      expect(fstab).toContain('/tmp/my\\040lab/boxes/box-01/etc /etc none rbind 0 0');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  itWith(needsRoot('util-linux mount --fake reads an fstab only as root'), 'is read by util-linux mount as meant (a fake mount, nothing is mounted)', () => {
    const root = fakeRoot();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl mounts '));
    try {
      const file = path.join(dir, 'box.fstab');
      const boxDir = path.join(dir, 'box 01');
      for (const d of ['etc/alternatives', 'etc/ssl', 'root', 'var', 'k3s', 'run/lab/k3s', 'bin', 'usr-local-bin']) fs.mkdirSync(path.join(boxDir, d), { recursive: true });
      fs.writeFileSync(file, boxMounts(boxDir, root, new Set()).fstab);
      // --fake parses and resolves each entry without the mount call itself.
      const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'mount', '--fake', '--all', '--verbose', '--fstab', file], { encoding: 'utf8' });
      expect(out).toContain('/etc');
      expect(out).toMatch(/\/usr\s+: successfully mounted/);
      expect(out).not.toMatch(/already mounted/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('mount table of this machine', () => {
  it('lists / and /proc with their types', () => {
    const table = mountTable();
    expect(table.find((m) => m.target === '/proc')?.type).toBe('proc');
    expect(mountPoints().has('/')).toBe(true);
  });
});

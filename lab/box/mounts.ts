import fs from 'node:fs';
import path from 'node:path';

/**
 * Folders of the build machine's /etc that every box sees read-only instead of getting a copy:
 * they are the bulk of /etc (about 700 of its 1270 entries here) and nothing on a box writes them.
 */
export const ETC_SHARED = ['alternatives', 'ssl'];

/** Top-level folders a box gets its own of, or that the kernel provides; never the host's, read-only. */
const NOT_SHARED = new Set(['/proc', '/sys', '/dev', '/run', '/tmp', '/etc', '/root', '/var', '/lost+found']);

export interface BoxMounts {
  /** fstab lines for one `mount -a -T FILE`, in order: one process makes every mount of the box. */
  fstab: string;
  /**
   * Host folders that are mount points themselves. `mount -a` skips an fstab entry whose target
   * already has that mount ("already mounted"), which would leave them writable to the box, so
   * lab-boot binds these one by one. Usually none.
   */
  eachReadOnly: string[];
}

/**
 * The mount table of a box, as lab-boot applies it inside the box's new mount namespace: its
 * private /etc, /root, /var, /run, bin folders, /tmp and /proc, and the rest of the build machine
 * read-only (the repository, /usr, /opt…), so an installer or a stray rm on a box cannot change the
 * lab's host.
 */
export function boxMounts(boxDir: string, hostRoot = '/', hostMountPoints = mountPoints()): BoxMounts {
  const lines: string[] = [];
  const add = (src: string, target: string, type: string, opts: string) => lines.push([src, target, type, opts, '0', '0'].map(fstabField).join(' '));
  const inBox = (...p: string[]) => path.join(boxDir, ...p);

  // Seen from inside the box at /run/lab/k3s: where the shared API hub puts this box's socket.
  add(inBox('k3s'), inBox('run', 'lab', 'k3s'), 'none', 'bind');
  for (const d of ETC_SHARED) add(path.join('/etc', d), inBox('etc', d), 'none', 'bind,ro');
  // rbind: the shared /etc folders just bound into the box's /etc come along.
  add(inBox('etc'), '/etc', 'none', 'rbind');
  add(inBox('root'), '/root', 'none', 'bind');
  add(inBox('var'), '/var', 'none', 'bind');

  // The box folder's own top folder (/run or /tmp, say) is covered by the box's own mounts below.
  const top = '/' + path.resolve(boxDir).split('/')[1];
  const eachReadOnly: string[] = [];
  for (const name of fs.readdirSync(hostRoot).sort()) {
    const d = '/' + name;
    if (NOT_SHARED.has(d) || d === top || !isRealDir(path.join(hostRoot, name))) continue;
    // util-linux makes "bind,ro" in one go (bind, then remount read-only).
    if (hostMountPoints.has(d)) eachReadOnly.push(d);
    else add(d, d, 'none', 'bind,ro');
  }
  add(inBox('bin'), '/usr/local/sbin', 'none', 'bind');
  add(inBox('usr-local-bin'), '/usr/local/bin', 'none', 'bind');
  add(inBox('run'), '/run', 'none', 'rbind');
  // Last: the box folder itself may live under /tmp. The sources are named for the box, not
  // "tmpfs" and "proc": `mount -a` would take the host's own /proc for this one and skip it.
  add('box-tmp', '/tmp', 'tmpfs', 'size=64m,mode=1777');
  // The box's own process table: ps, pkill and kill -1 on a box see and touch only the box.
  add('box-proc', '/proc', 'proc', 'nosuid,nodev,noexec');
  return { fstab: lines.join('\n') + '\n', eachReadOnly };
}

/** fstab's escaping: a space, tab, newline or backslash in a path is written as an octal escape. */
export function fstabField(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** Every mount point of this mount namespace. */
export function mountPoints(): Set<string> {
  return new Set(mountTable().map((m) => m.target));
}

export interface MountEntry {
  target: string;
  type: string;
  source: string;
}

/** This mount namespace's mounts, decoded from /proc/self/mountinfo. */
export function mountTable(): MountEntry[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter((l) => l.includes(' - '))
    .map((l) => {
      // ID PARENT MAJ:MIN ROOT TARGET OPTIONS [OPTIONAL…] - TYPE SOURCE SUPER-OPTIONS
      const [left = '', right = ''] = l.split(' - ');
      const [type = '', source = ''] = right.split(' ');
      return { target: unescape(left.split(' ')[4] ?? ''), type, source: unescape(source) };
    });
}

function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { run } from '../exec.ts';
import { K3S_VERSION, LAB_SRC, paths } from '../config.ts';
import { ETC_SHARED } from './mounts.ts';
import type { BoxRecord } from '../state.ts';

const FILES = path.join(LAB_SRC, 'box', 'files');
/** Bulky or host-specific folders of the build machine's /etc that a box has no use for. */
const ETC_SKIP = ['java-17-openjdk', 'X11', 'apt', 'fonts', 'netns', /^cron\./];
/** Inside the copied /etc: the build machine's own host keys and enabled services. */
const ETC_SKIP_INSIDE = [/^ssh\/ssh_host_/, /^systemd\/system\/multi-user\.target\.wants$/];

export const BOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A clean environment for the box: nothing of the build machine's shell leaks into it. */
export function boxEnv(): NodeJS.ProcessEnv {
  return { PATH: BOX_PATH, HOME: '/root', LANG: 'C.UTF-8', TERM: 'vt220', USER: 'root', LOGNAME: 'root' };
}

export function boxEnvFile(b: BoxRecord, scenario: string): string {
  const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
  return [
    `LAB_NAME=${q(b.name)}`,
    `LAB_SERIAL=${q(b.serial)}`,
    `LAB_MODEL=${q(b.model)}`,
    `LAB_VENDOR=${q(b.vendor)}`,
    `LAB_ARCH=${q(b.arch)}`,
    `LAB_IP=${q(b.ip)}`,
    `LAB_NET=${q(b.network)}`,
    `LAB_SCENARIO=${q(scenario)}`,
    `LAB_K3S_VERSION=${q(K3S_VERSION)}`,
    '',
  ].join('\n');
}

/**
 * Makes a box folder in factory state: a private copy of /etc with the box's own identity, host
 * keys, root password, sshd and avahi configuration; an empty /root, /var and bin folder.
 */
export function prepareBox(b: BoxRecord, passwordHash: string, scenario: string): void {
  const dir = paths.box(b.name);
  fs.mkdirSync(dir, { recursive: true });
  const etc = path.join(dir, 'etc');
  copyEtc(etc);
  const w = (rel: string, text: string, mode = 0o644) => {
    const f = path.join(etc, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.rmSync(f, { force: true });
    fs.writeFileSync(f, text, { mode });
  };
  w('hostname', `${b.name}\n`);
  w('hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${b.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  w('machine-id', `${b.machineId}\n`, 0o444);
  w('resolv.conf', '# no DNS server at this site\n');
  w(
    'os-release',
    [
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      'NAME="Debian GNU/Linux"',
      'VERSION_ID="12"',
      'VERSION="12 (bookworm)"',
      'VERSION_CODENAME=bookworm',
      'ID=debian',
      `VARIANT="${b.vendor} ${b.model}"`,
      'HOME_URL="https://www.debian.org/"',
      '',
    ].join('\n'),
  );
  w('fieldlink-lab/box.env', boxEnvFile(b, scenario));
  writeFactoryNetwork(etc, b);
  w('motd', '');

  // Root's password is the one on the box label; every other account stays as Debian ships it.
  const shadow = fs.readFileSync(path.join(etc, 'shadow'), 'utf8').split('\n');
  const rootLine = shadow.findIndex((l) => l.startsWith('root:'));
  const fields = shadow[rootLine]!.split(':');
  fields[1] = passwordHash;
  fields[2] = String(Math.floor(Date.now() / 86_400_000));
  shadow[rootLine] = fields.join(':');
  w('shadow', shadow.join('\n'), 0o640);
  // Readable by group shadow, as Debian ships it.
  fs.chownSync(path.join(etc, 'shadow'), 0, fs.statSync('/etc/shadow').gid);

  fs.rmSync(path.join(etc, 'ssh', 'sshd_config.d'), { recursive: true, force: true });
  fs.mkdirSync(path.join(etc, 'ssh', 'sshd_config.d'));
  w(
    'ssh/sshd_config',
    [
      '# A factory edge box: root logs in with the label password until a profile turns that off.',
      'Include /etc/ssh/sshd_config.d/*.conf',
      'Port 22',
      'ListenAddress 0.0.0.0',
      'HostKey /etc/ssh/ssh_host_ed25519_key',
      'HostKey /etc/ssh/ssh_host_ecdsa_key',
      // No RSA key: 50 boxes would spend most of the `up` budget generating them, and every
      // client Fieldlink supports speaks ed25519.
      'PermitRootLogin yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM yes',
      'UseDNS no',
      'PrintMotd no',
      'PidFile /run/sshd.pid',
      // Provisioning many sessions at once from one laptop must not hit the default 10:30:100.
      'MaxStartups 100:30:200',
      'MaxSessions 64',
      'AcceptEnv LANG LC_*',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  // The build machine's pam stack would fail the login in a namespace (loginuid) or run slow
  // motd scripts of the host; a box keeps the rest of Debian's stack as shipped.
  for (const f of ['pam.d/sshd', 'pam.d/login']) {
    const p = path.join(etc, f);
    const text = fs
      .readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => !/pam_motd\.so|pam_mail\.so|pam_lastlog\.so/.test(l))
      .map((l) => l.replace(/^session\s+required\s+pam_loginuid\.so/, 'session    optional     pam_loginuid.so'))
      .join('\n');
    fs.writeFileSync(p, text);
  }
  fs.rmSync(path.join(etc, 'avahi', 'services'), { recursive: true, force: true });
  fs.mkdirSync(path.join(etc, 'avahi', 'services'));
  w(
    'avahi/avahi-daemon.conf',
    [
      '[server]',
      'use-ipv4=yes',
      'use-ipv6=no',
      'allow-interfaces=eth0',
      'enable-dbus=no',
      'ratelimit-interval-usec=1000000',
      'ratelimit-burst=1000',
      '[wide-area]',
      'enable-wide-area=no',
      '[publish]',
      'publish-hinfo=no',
      'publish-workstation=no',
      '[reflector]',
      '[rlimits]',
      '',
    ].join('\n'),
  );

  writeHostKeys(path.join(etc, 'ssh'), `root@${b.name}`);

  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, '.ssh'), { recursive: true, mode: 0o700 });
  fs.chmodSync(root, 0o700);
  fs.writeFileSync(path.join(root, '.profile'), '[ -n "$BASH_VERSION" ] && [ -f ~/.bashrc ] && . ~/.bashrc\nmesg n 2>/dev/null || true\n');
  fs.writeFileSync(path.join(root, '.bashrc'), "PS1='\\u@\\h:\\w\\$ '\numask 022\n");

  const mid = b.machineId;
  for (const d of ['var/log/journal/' + mid, 'var/lib', 'var/tmp', 'var/cache', 'var/spool', 'var/backups', 'k3s', 'bin', 'usr-local-bin', 'run']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'var/tmp'), 0o1777);
  fs.symlinkSync('/run', path.join(dir, 'var/run'));
  fs.symlinkSync('/run/lock', path.join(dir, 'var/lock'));
  for (const f of fs.readdirSync(FILES)) {
    fs.copyFileSync(path.join(FILES, f), path.join(dir, 'bin', f));
    fs.chmodSync(path.join(dir, 'bin', f), 0o755);
  }
}

/**
 * The factory network settings in the files of the box's network manager: its LAN address, no
 * gateway (the lab LAN has none). The other managers' folders go, so the box has one, as a real
 * one does (the build machine's own /etc/netplan must not make every box a netplan box).
 */
function writeFactoryNetwork(etc: string, b: BoxRecord): void {
  for (const d of ['netplan', 'NetworkManager', 'systemd/network']) fs.rmSync(path.join(etc, d), { recursive: true, force: true });
  const file = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(etc, rel)), { recursive: true });
    fs.writeFileSync(path.join(etc, rel), text, { mode: 0o600 });
  };
  if (b.network === 'netplan') {
    file('netplan/50-factory.yaml', `# Written at the factory\nnetwork:\n  version: 2\n  renderer: networkd\n  ethernets:\n    eth0:\n      addresses: [${b.ip}/24]\n`);
  } else if (b.network === 'systemd-networkd') {
    file('systemd/network/50-factory.network', `# Written at the factory\n[Match]\nName=eth0\n\n[Network]\nAddress=${b.ip}/24\n`);
  } else {
    file(
      'NetworkManager/system-connections/factory-eth0.nmconnection',
      `[connection]\nid=factory-eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=manual\naddress1=${b.ip}/24\n\n[ipv6]\nmethod=ignore\n`,
    );
  }
}

/**
 * The box's private copy of the build machine's /etc: without what a box has no use for, and with
 * empty mount points where lab-boot binds the shared folders read-only. Copied in-process: a cp per
 * box cost a process start and about three times the CPU.
 */
function copyEtc(etc: string): void {
  fs.mkdirSync(etc, { mode: 0o755 });
  for (const name of etcEntries()) {
    fs.cpSync(path.join('/etc', name), path.join(etc, name), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  }
  // What cp -a keeps and fs.cpSync does not: owners and folder modes.
  for (const e of etcOwnersAndModes()) {
    const p = path.join(etc, e.rel);
    if (e.uid !== 0 || e.gid !== 0) fs.lchownSync(p, e.uid, e.gid);
    if (e.dirMode !== null) fs.chmodSync(p, e.dirMode);
  }
  for (const rel of ['ssh', 'systemd/system']) {
    const d = path.join(etc, rel);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) if (ETC_SKIP_INSIDE.some((re) => re.test(`${rel}/${f}`))) fs.rmSync(path.join(d, f), { recursive: true, force: true });
  }
  for (const d of ETC_SHARED) fs.mkdirSync(path.join(etc, d), { mode: 0o755 });
}

/** The top-level entries of /etc a box gets a copy of. */
function etcEntries(): string[] {
  const skip = (name: string) => ETC_SHARED.includes(name) || ETC_SKIP.some((s) => (typeof s === 'string' ? s === name : s.test(name)));
  return fs.readdirSync('/etc').filter((n) => !skip(n));
}

interface EtcMeta {
  rel: string;
  uid: number;
  gid: number;
  /** Set for folders: the copy makes them 0755 whatever the original was. */
  dirMode: number | null;
}

let etcMetaCache: EtcMeta[] | null = null;

/** Owners other than root and every folder's mode in the copied part of /etc, read once per up. */
function etcOwnersAndModes(): EtcMeta[] {
  if (etcMetaCache) return etcMetaCache;
  const out: EtcMeta[] = [];
  const walk = (rel: string) => {
    const st = fs.lstatSync(path.join('/etc', rel));
    const dir = st.isDirectory();
    if (st.uid !== 0 || st.gid !== 0 || dir) out.push({ rel, uid: st.uid, gid: st.gid, dirMode: dir ? st.mode & 0o7777 : null });
    if (dir) for (const n of fs.readdirSync(path.join('/etc', rel))) walk(path.join(rel, n));
  };
  for (const name of etcEntries()) walk(name);
  etcMetaCache = out;
  return out;
}

/**
 * The box's own sshd host keys, ed25519 and ecdsa, in OpenSSH's format. Made in-process: 100
 * ssh-keygen runs were a good part of a 50-box up on a machine slow to start processes.
 */
function writeHostKeys(sshDir: string, comment: string): void {
  for (const type of ['ed25519', 'ecdsa'] as const) {
    const key = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256, comment }) : ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const file = path.join(sshDir, `ssh_host_${type}_key`);
    fs.writeFileSync(file, key.private, { mode: 0o600 });
    fs.writeFileSync(`${file}.pub`, `${key.public}\n`, { mode: 0o644 });
  }
}

/** sha512-crypt hashes for many passwords in one openssl run. */
export async function hashPasswords(passwords: string[], signal?: AbortSignal): Promise<string[]> {
  const r = await run('openssl', ['passwd', '-6', '-stdin'], { input: passwords.join('\n') + '\n', signal });
  const out = r.stdout.trim().split('\n');
  if (out.length !== passwords.length) throw new Error('openssl passwd returned a different number of hashes');
  return out;
}

/** Turns a factory box into one a profile has provisioned: k3s installed, enabled, its files in place. */
export function provisionBoxFiles(b: BoxRecord): void {
  const dir = paths.box(b.name);
  const hostname = `edge-${b.name.slice(4)}`;
  fs.writeFileSync(path.join(dir, 'etc', 'hostname'), `${hostname}\n`);
  fs.writeFileSync(path.join(dir, 'etc', 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  installK3sFiles(dir, 'k3s');
  const wants = path.join(dir, 'etc', 'systemd', 'system', 'multi-user.target.wants');
  fs.mkdirSync(wants, { recursive: true });
  fs.symlinkSync('/etc/systemd/system/k3s.service', path.join(wants, 'k3s.service'));
  fs.writeFileSync(path.join(dir, 'etc', 'systemd', 'timesyncd.conf'), '[Time]\nNTP=10.77.0.1\n');
  fs.symlinkSync('/lib/systemd/system/systemd-timesyncd.service', path.join(wants, 'systemd-timesyncd.service'));
}

export function installK3sFiles(boxDir: string, unit: 'k3s' | 'k3s-agent'): void {
  const bin = path.join(boxDir, 'usr-local-bin');
  fs.writeFileSync(path.join(bin, 'k3s'), k3sScript(), { mode: 0o755 });
  for (const l of ['kubectl', 'crictl']) {
    fs.rmSync(path.join(bin, l), { force: true });
    fs.symlinkSync('k3s', path.join(bin, l));
  }
  const unitDir = path.join(boxDir, 'etc', 'systemd', 'system');
  fs.mkdirSync(unitDir, { recursive: true });
  fs.writeFileSync(
    path.join(unitDir, `${unit}.service`),
    `[Unit]\nDescription=Lightweight Kubernetes\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=notify\nExecStart=/usr/local/bin/k3s ${unit === 'k3s' ? 'server' : 'agent'}\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n`,
  );
  fs.mkdirSync(path.join(boxDir, 'etc', 'rancher', 'k3s'), { recursive: true });
  fs.writeFileSync(path.join(boxDir, 'etc', 'rancher', 'k3s', 'config.yaml'), 'write-kubeconfig-mode: "0600"\n');
}

export function k3sScript(): string {
  return fs.readFileSync(path.join(LAB_SRC, 'box', 'k3s'), 'utf8').replace('@K3S_VERSION@', K3S_VERSION);
}

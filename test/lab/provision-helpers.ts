import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import type { BoxStatus } from '../../lab/index.ts';
import { REPO, ssh } from './helpers.ts';

/** What provisioning changes on a factory box that the other suites rely on, read before a run. */
export interface FactoryState {
  authorizedKeys: string | null;
  timezone: string;
}

export async function saveFactoryState(box: BoxStatus): Promise<FactoryState> {
  const r = await ssh(box, 'cat ~/.ssh/authorized_keys 2>/dev/null || echo __none__; readlink /etc/localtime || echo none');
  const lines = r.stdout.trimEnd().split('\n');
  const timezone = lines.pop()!;
  return { authorizedKeys: lines.join('\n') === '__none__' ? null : `${lines.join('\n')}\n`, timezone };
}

/** The box as the factory left it again: k3s uninstalled, password login on, its own name, keys and clock settings. */
export async function restoreFactoryState(box: BoxStatus, saved: FactoryState, technicianKey: string): Promise<void> {
  const undo = [
    'test -x /usr/local/bin/k3s-uninstall.sh && /usr/local/bin/k3s-uninstall.sh >/dev/null 2>&1',
    'rm -rf /var/lib/fieldlink /etc/systemd/timesyncd.conf.d/50-fieldlink.conf /etc/ssh/sshd_config.d/10-fieldlink-password.conf',
    saved.timezone === 'none' ? 'rm -f /etc/localtime' : `ln -sf ${saved.timezone} /etc/localtime`,
    `hostnamectl set-hostname ${box.hostname}`,
    saved.authorizedKeys === null ? 'rm -rf ~/.ssh' : `printf '%s' '${saved.authorizedKeys.replaceAll("'", "'\\''")}' > ~/.ssh/authorized_keys`,
    'systemctl reload ssh',
  ].join('; ');
  const viaKey = await keySsh(box, technicianKey, undo);
  if (viaKey.code !== 0) await ssh(box, undo, { timeoutMs: 60_000 });
}

/** Real OpenSSH with only the given key: no password, no agent. */
export function keySsh(box: BoxStatus, key: string, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const o = (opt: string) => ['-o', opt];
    const p = spawn('ssh', [
      ...['-F', '/dev/null', '-i', key],
      ...o('IdentitiesOnly=yes'),
      ...o('IdentityAgent=none'),
      ...o('BatchMode=yes'),
      ...o('PasswordAuthentication=no'),
      ...o('StrictHostKeyChecking=no'),
      ...o('UserKnownHostsFile=/dev/null'),
      ...o('LogLevel=error'),
      ...o('ConnectTimeout=10'),
      `root@${box.ip}`,
      command,
    ]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The lab's stand-in k3s release in `dir`, laid out as a USB stick would hold it. */
export function buildRelease(dir: string, version = 'v1.30.6+k3s1'): string {
  const release = path.join(dir, `k3s-${version}`);
  execFileSync('sh', [path.join(REPO, 'lab', 'kube', 'build-airgap.sh'), release, version]);
  return release;
}

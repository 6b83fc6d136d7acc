import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BoxStatus } from '../lab/index.ts';
import { technicianKeyPath } from '../electron/core/keys/index.ts';
import { buildRelease, restoreFactoryState, saveFactoryState, type FactoryState } from '../test/lab/provision-helpers.ts';
import { IN_TECH_NAMESPACE, labStatus, measureIfInner, measureInside, type BenchResult, type Benchmark, type Figure } from './harness.ts';

/**
 * Factory to Ready with assets/profiles/example.yaml: `fieldlink provision` on one lab box and on
 * every factory box at once (--parallel), against the same profile as an Ansible playbook
 * (ansible-core, forks 10, password login like ours) on the same boxes, at 50 ms round trip
 * (`lab net lan --delay 25`). Each run starts from factory; the boxes are put back after each.
 * Where the time goes: the CPU our process used (user + sys) against the wall time it took.
 */
const run = promisify(execFile);
const here = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(here), '..');
const LAB = path.join(REPO, 'bin', 'fieldlink-lab.js');
const BIN = path.join(REPO, 'bin', 'fieldlink.js');
const PROFILE = path.join(REPO, 'assets', 'profiles', 'example.yaml');
const DELAY_MS = 25;

/** Wall and CPU seconds of a command (bash's `time` counts its children). */
async function timed(cmd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ wall: number; cpu: number; stdout: string }> {
  const t0 = performance.now();
  // The command's own stderr goes to a file; `time` reports on bash's stderr (a redirect after the
  // parentheses would take time's report with it).
  const r = await run('bash', ['-c', `TIMEFORMAT='%U %S'; time ( ${cmd} 2>/tmp/fl-bench-provision.err )`], { env, maxBuffer: 64 << 20, timeout: 5 * 60_000 });
  const wall = (performance.now() - t0) / 1000;
  const [u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall, cpu: (u ?? 0) + (s ?? 0), stdout: r.stdout };
}

function playbook(dir: string, release: string): string {
  const file = path.join(dir, 'site.yml');
  fs.writeFileSync(
    file,
    `- hosts: boxes
  gather_facts: false
  tasks:
    # The lab's hostnamectl knows set-hostname only (the hostname module asks for --transient).
    - { name: hostname, command: 'hostnamectl set-hostname edge-lab-{{ serial[-6:] | lower }}' }
    - name: time servers
      copy: { dest: /etc/systemd/timesyncd.conf.d/50-fieldlink.conf, content: "[Time]\\nNTP=10.77.0.1\\n" }
    - { name: timesyncd, command: systemctl restart systemd-timesyncd }
    - name: technician key
      authorized_key: { user: root, key: "{{ lookup('file', tech_key) }}" }
    - name: password login off
      copy: { dest: /etc/ssh/sshd_config.d/10-fieldlink-password.conf, content: "PasswordAuthentication no\\nKbdInteractiveAuthentication no\\n" }
    - { name: reload sshd, command: systemctl reload ssh }
    - { name: folders, file: { path: "{{ item }}", state: directory }, loop: [/var/lib/rancher/k3s/agent/images, /etc/rancher/k3s, /var/lib/fieldlink, /var/lib/rancher/k3s/server/manifests] }
    # The release names the amd64 binary k3s and the others k3s-<arch>, as a real playbook must pick.
    - { name: binary, copy: { src: "${release}/k3s{{ '' if arch == 'amd64' else '-' + arch }}", dest: /usr/local/bin/k3s, mode: "0755" } }
    - { name: images, copy: { src: "${release}/k3s-airgap-images-{{ arch }}.tar.zst", dest: /var/lib/rancher/k3s/agent/images/ } }
    - { name: config, copy: { dest: /etc/rancher/k3s/config.yaml, mode: "0600", content: "node-label: [fieldlink.dev/site=lab, topology.kubernetes.io/region=lab, node.fieldlink.dev/role=edge]\\ndisable: [traefik]\\n" } }
    - { name: registries, copy: { dest: /etc/rancher/k3s/registries.yaml, mode: "0600", content: "mirrors:\\n  docker.io:\\n    endpoint: [https://registry.lab.local:5000]\\n" } }
    - { name: installer, copy: { src: ${release}/install.sh, dest: /var/lib/fieldlink/k3s-install.sh, mode: "0755" } }
    - { name: install, command: sh /var/lib/fieldlink/k3s-install.sh, environment: { INSTALL_K3S_SKIP_DOWNLOAD: "true", INSTALL_K3S_EXEC: server } }
    - name: node Ready
      shell: timeout 150 sh -c 'until k3s kubectl get node "$(hostname)" >/dev/null 2>&1; do sleep 1; done; k3s kubectl wait --for=condition=Ready "node/$(hostname)" --timeout=140s'
    - { name: manifest, copy: { dest: /var/lib/rancher/k3s/server/manifests/fieldlink-site.yaml, content: "apiVersion: v1\\nkind: ConfigMap\\nmetadata: { name: fieldlink-site, namespace: kube-system }\\ndata: { site: lab }\\n" } }
`,
  );
  return file;
}

function inventory(dir: string, boxes: BoxStatus[]): string {
  const file = path.join(dir, `hosts-${boxes.length}.ini`);
  fs.writeFileSync(file, `[boxes]\n${boxes.map((b) => `${b.ip} ansible_user=root ansible_password=${b.password} serial=${b.serial} arch=${b.arch}`).join('\n')}\n`);
  return file;
}

async function measure(progress: (m: string) => void): Promise<BenchResult> {
  const lab = labStatus();
  const boxes = (lab?.boxes ?? []).filter((b) => b.state === 'factory' && b.power === 'on');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-provision-'));
  const data = path.join(dir, 'data');
  const release = buildRelease(path.join(dir, 'usb'));
  const saved = new Map<string, FactoryState>();
  for (const b of boxes) saved.set(b.name, await saveFactoryState(b));
  const fl = (args: string[]) => run(process.execPath, [BIN, '--data-dir', data, ...args], { maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  await fl(['artifacts', 'add', release]);
  await fl(['keys']);
  const restore = async () => {
    for (const b of boxes) await restoreFactoryState(b, saved.get(b.name)!, technicianKeyPath(data));
  };
  // The label passwords, remembered once as a technician does on first login (not timed).
  for (const b of boxes)
    await run('sh', ['-c', `printf '%s\\n' "$PW" | ${process.execPath} ${BIN} --data-dir ${data} exec ${b.ip} --accept-new --password-stdin --remember -- true`], {
      env: { ...process.env, PW: b.password },
    });
  const ours = async (targets: BoxStatus[]) => {
    progress(`ours: ${targets.length} box(es)`);
    const t = await timed(`${process.execPath} ${BIN} --data-dir ${data} provision ${targets.map((b) => b.ip).join(' ')} --profile ${PROFILE} --parallel ${targets.length} --json`);
    progress(`ours: ${targets.length} box(es) in ${t.wall.toFixed(1)} s (CPU ${t.cpu.toFixed(1)} s)`);
    await restore();
    return t;
  };
  const key = path.join(dir, 'tech.pub');
  fs.copyFileSync(`${technicianKeyPath(data)}.pub`, key);
  const book = playbook(dir, release);
  const ansible = async (targets: BoxStatus[]) => {
    progress(`ansible: ${targets.length} box(es)`);
    let t: { wall: number; cpu: number; stdout: string };
    try {
      t = await timed(`ansible-playbook -f 10 -i ${inventory(dir, targets)} -e tech_key=${key} ${book}`, {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_NOCOLOR: '1',
        // No -tt: a lab box's services are started by lab-svc inside the session and keep its pty open, so a
        // command that restarts one would never end under a tty (on a real box systemd starts them).
        ANSIBLE_SSH_USETTY: 'False',
        // Nothing in root's home: known hosts, control sockets and Ansible's temp files stay in the bench folder.
        ANSIBLE_SSH_ARGS: '-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null',
        ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, 'cp'),
        ANSIBLE_HOME: path.join(dir, 'ansible'),
        ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible', 'tmp'),
      });
    } catch (err) {
      // A run that fails or hangs (5 min) is reported as such, not dropped.
      progress(`ansible: ${targets.length} box(es) failed: ${String((err as Error).message).split('\n')[0]}`);
      t = { wall: Number.NaN, cpu: Number.NaN, stdout: '' };
    }
    progress(`ansible: ${targets.length} box(es) in ${t.wall.toFixed(1)} s`);
    await restore();
    return t;
  };
  try {
    const one = await ours(boxes.slice(0, 1));
    const all = await ours(boxes);
    const aOne = await ansible(boxes.slice(0, 1));
    const aAll = await ansible(boxes);
    const steps = (JSON.parse(one.stdout) as { boxes: Array<{ outcomes: Array<{ id: string; ms: number }> }> }).boxes[0]!.outcomes;
    const failed = [aOne, aAll].some((t) => Number.isNaN(t.wall));
    const measured: Figure[] = [
      { label: 'fieldlink provision, 1 box', value: one.wall, unit: 's', side: 'ours' },
      { label: `fieldlink provision, ${boxes.length} boxes --parallel`, value: all.wall, unit: 's', side: 'ours' },
      { label: `  of which CPU in fieldlink (${boxes.length} boxes)`, value: all.cpu, unit: 's' },
      { label: 'ansible-playbook, 1 box', value: aOne.wall, unit: 's', side: 'anchor' },
      { label: `ansible-playbook, ${boxes.length} boxes -f 10`, value: aAll.wall, unit: 's', side: 'anchor' },
      { label: `  of which CPU in ansible (${boxes.length} boxes)`, value: aAll.cpu, unit: 's' },
      ...steps.map((s) => ({ label: `  step ${s.id} (1 box)`, value: s.ms / 1000, unit: 's' })),
    ];
    // A run that failed has no time to show; it is named in the notes instead.
    const figures = measured.filter((f) => Number.isFinite(f.value));
    return {
      figures,
      anchor: `ansible-playbook -f 10 -i hosts.ini site.yml (ansible-core, the example profile as tasks, password login)`,
      ratio: { value: failed ? Number.NaN : all.wall / aAll.wall, goal: 0.5, better: 'lower', meaning: `ours / Ansible, ${boxes.length} boxes at once` },
      notes: [
        ...(failed ? [`an Ansible run failed (see its progress line): no ratio`] : []),
        `${boxes.length} boxes / 1 box: ${(all.wall / one.wall).toFixed(2)} (goal <= 1.5)`,
        `CPU / wall for ours: ${((all.cpu / all.wall) * 100).toFixed(0)}% (the rest is waiting on the boxes and the link)`,
        `stand-in k3s artifacts (a few KiB); at ${2 * DELAY_MS} ms round trip`,
      ],
    };
  } finally {
    await restore().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'provision',
  description: `fieldlink provision factory to Ready, 1 box and all factory boxes at once, vs ansible-playbook -f 10, at ${2 * DELAY_MS} ms round trip`,
  async requires() {
    if (process.getuid?.() !== 0) return 'needs root (the lab)';
    const lab = labStatus();
    if (!lab?.up) return 'needs the lab up: sudo npm run lab -- up --boxes 5 --provisioned 2';
    if (lab.boxes.filter((b) => b.state === 'factory' && b.power === 'on').length < 2) return 'needs at least two factory boxes on';
    const missing = await run('sh', ['-c', 'command -v ansible-playbook && command -v sshpass']).then(
      () => null,
      () => 'needs ansible-playbook and sshpass (apt-get install ansible-core sshpass)',
    );
    return missing;
  },
  async run(progress) {
    await run(process.execPath, [LAB, 'net', 'lan', '--delay', String(DELAY_MS)], { timeout: 60_000 });
    try {
      return await measureInside(here, IN_TECH_NAMESPACE, progress, 30 * 60_000);
    } finally {
      await run(process.execPath, [LAB, 'net', 'lan', '--clear'], { timeout: 60_000 }).catch(() => undefined);
    }
  },
};

await measureIfInner(here, measure);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExecResult, Shell } from '../transport/index.ts';
import {
  k3sConfigYaml,
  loadProfile,
  parseProfile,
  passwordStep,
  provisionMany,
  registriesYaml,
  workloadFiles,
  type Profile,
  type ProvisionDeps,
  type StepContext,
} from './index.ts';

const EXAMPLE = path.join(import.meta.dirname, '..', '..', '..', 'assets', 'profiles', 'example.yaml');
const result = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), truncated: false });

function profile(extra = ''): Profile {
  const r = parseProfile(
    `apiVersion: fieldlink/v1\nkind: Profile\nname: t\nsite: { id: lab, labels: { site: lab } }\nusers: [{ name: root, keys: [technician] }]\nk3s: { role: server, version: v1.30.6+k3s1, nodeLabels: { role: edge }, nodeTaints: ['edge=true:NoSchedule'], disable: [traefik] }\n${extra}`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.profile;
}

/** A box that answers only `sshd -T` (as `sshd -T | grep | tr` prints it) and records what else it was asked. */
function sshdBox(password: 'yes' | 'no') {
  const asked: string[] = [];
  const puts: string[] = [];
  const shell: Shell = {
    kind: 'ssh',
    target: 'root@box',
    exec: async (command) => {
      asked.push(command);
      if (command.startsWith('sshd -T')) return result(0, `passwordauthentication=${password}\nkbdinteractiveauthentication=no\n`);
      return result(0);
    },
    put: async (p) => void puts.push(p),
    get: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
  return { shell, asked, puts };
}

describe('the k3s files a profile writes', () => {
  it('config.yaml carries the site and node labels, taints and what a server leaves out, as k3s reads it', () => {
    const doc = parseYaml(k3sConfigYaml({ profile: profile() })) as Record<string, unknown>;
    expect(doc).toEqual({ 'node-label': ['site=lab', 'role=edge'], 'node-taint': ['edge=true:NoSchedule'], disable: ['traefik'] });
  });

  it('registries.yaml lists each mirror under mirrors.<registry>.endpoint', () => {
    const p = loadProfile(EXAMPLE);
    expect(parseYaml(registriesYaml({ profile: p }))).toEqual({ mirrors: { 'docker.io': { endpoint: ['https://registry.lab.local:5000'] } } });
  });
});

describe('workload files', () => {
  it('are the inline manifests, Helm charts with their archive inline, and image archives for the box arch', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-workloads-'));
    fs.mkdirSync(path.join(dir, 'charts'));
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'charts', 'agent.tgz'), 'chart-bytes');
    fs.writeFileSync(path.join(dir, 'images', 'agent-arm64.tar.zst'), 'image-bytes');
    const p = profile(
      'workloads:\n  manifests: [{ name: cm, content: "kind: ConfigMap\\n" }]\n  helmCharts: [{ name: agent, file: charts/agent.tgz, targetNamespace: edge, values: { replicas: 2 } }]\n  images: ["images/agent-{arch}.tar.zst"]\n',
    );
    const ctx = { profile: p, profileDir: dir, facts: { arch: 'arm64' } } as StepContext;
    const files = workloadFiles(ctx);
    expect(files.map((f) => f.to)).toEqual([
      '/var/lib/rancher/k3s/server/manifests/cm.yaml',
      '/var/lib/rancher/k3s/server/manifests/agent.yaml',
      '/var/lib/rancher/k3s/agent/images/agent-arm64.tar.zst',
    ]);
    const chart = parseYaml(files[1]!.data.toString()) as { kind: string; spec: Record<string, string> };
    expect(chart).toMatchObject({
      kind: 'HelmChart',
      spec: { targetNamespace: 'edge', chartContent: Buffer.from('chart-bytes').toString('base64'), valuesContent: 'replicas: 2\n' },
    });
    expect(files[2]!.data.toString()).toBe('image-bytes');
    expect(() => workloadFiles({ ...ctx, facts: { arch: 'amd64' } } as StepContext)).toThrow(/images\/agent-amd64\.tar\.zst/);
  });
});

describe('the password step', () => {
  it('keeps password login on when the technician key was not proven to log in by itself', async () => {
    const box = sshdBox('yes');
    const ctx = { shell: box.shell, profile: profile(), technicianKey: null, proveKeyLogin: async () => false } as StepContext;
    expect(await passwordStep.check(ctx)).toEqual({ done: false, drift: ['SSH password login: on -> off'] });
    await expect(passwordStep.apply(ctx, () => undefined)).rejects.toThrow(/Password login stays on: a fresh SSH login with only the technician key was refused/);
    expect(box.puts).toEqual([]);
  });

  it('over a cable (no way to prove the key) refuses too, and says to use the LAN', async () => {
    const box = sshdBox('yes');
    await expect(passwordStep.apply({ shell: box.shell, profile: profile(), technicianKey: null } as StepContext, () => undefined)).rejects.toThrow(/over the cable/);
  });

  it('writes the drop-in and reloads sshd once the key is proven', async () => {
    const box = sshdBox('yes');
    await passwordStep.apply({ shell: box.shell, profile: profile(), technicianKey: null, proveKeyLogin: async () => true } as StepContext, () => undefined);
    expect(box.puts).toEqual(['/etc/ssh/sshd_config.d/10-fieldlink-password.conf']);
    expect(box.asked.at(-1)).toMatch(/^sshd -t && \{ systemctl reload ssh/);
  });
});

describe('provisionMany', () => {
  it('runs at most N boxes at once, one failing box does not stop the others, results in target order', async () => {
    let running = 0;
    let peak = 0;
    const deps: ProvisionDeps = {
      openShell: async (target) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        if (target === 'bad') throw Object.assign(new Error('no route'), {});
        // A box that fails the first step: the run ends there, as a result.
        return { ...sshdBox('yes').shell, exec: async () => result(1, '', 'boom'), close: async () => undefined };
      },
      artifacts: { pick: () => Promise.reject(new Error('not used')) as never },
      technicianKey: () => null,
    };
    const out = await provisionMany(deps, ['a', 'bad', 'c', 'd'], profile(), { parallel: 2 });
    expect(out.map((r) => [r.target, r.ok, r.error?.step ?? r.error?.code])).toEqual([
      ['a', false, 'facts'],
      ['bad', false, 'INTERNAL'],
      ['c', false, 'facts'],
      ['d', false, 'facts'],
    ]);
    expect(peak).toBe(2);
  });
});

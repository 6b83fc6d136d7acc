import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { FieldlinkError } from '../../shared/errors.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { technicianKeyPath } from '../../electron/core/keys/index.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { ArtifactCache, loadProfile, planFor, provisionBox, provisionDeps, type BoxResult, type Profile, type StepEvent } from '../../electron/core/provision/index.ts';
import { REPO, lab, labStatus, until } from '../lab/helpers.ts';
import { buildRelease, keySsh, restoreFactoryState, saveFactoryState, type FactoryState } from '../lab/provision-helpers.ts';

/**
 * Resume: the link to box-04 is cut at the start of every step and in the middle of every step
 * that changes something, and the box is rebooted in the middle of the k3s install; after each,
 * provisioning simply runs again. The end state is exactly a clean run's, and a dry run finds no drift.
 */
const BOX = 'box-04';
const EXAMPLE_PROFILE = path.join(REPO, 'assets', 'profiles', 'example.yaml');

/** Drops every SSH session to the box at once (its sshd session processes killed; the listener stays). */
function cutLink(box: BoxStatus): number {
  let n = 0;
  for (const pid of execFileSync('ip', ['netns', 'pids', box.ns]).toString().split(/\s+/).filter(Boolean)) {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (/^sshd(-session)?: (?!\/)/.test(cmd)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        n++;
      } catch {
        // Gone already.
      }
    }
  }
  return n;
}

/** What provisioning leaves on the box, without what a clock or a boot changes. */
const STATE = [
  'hostname',
  'sha256sum /etc/hostname /etc/rancher/k3s/config.yaml /etc/rancher/k3s/registries.yaml /usr/local/bin/k3s /etc/systemd/system/k3s.service /etc/systemd/system/k3s.service.env',
  'sha256sum /etc/systemd/timesyncd.conf.d/50-fieldlink.conf /etc/ssh/sshd_config.d/10-fieldlink-password.conf /var/lib/rancher/k3s/server/manifests/fieldlink-site.yaml',
  'sha256sum /var/lib/rancher/k3s/agent/images/*',
  'sshd -T | grep -E "^(passwordauthentication|kbdinteractiveauthentication) "',
  'sort ~/.ssh/authorized_keys | sha256sum',
  'systemctl is-active k3s; systemctl is-enabled k3s',
  'k3s kubectl get nodes --no-headers | cut -d" " -f1,4',
].join('; ');

describe('provisioning resumes after a cut link or a reboot at any point', () => {
  let app: App;
  let box: BoxStatus;
  let saved: FactoryState;
  let profile: Profile;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-prov-faults-'));

  beforeAll(async () => {
    const b = (await labStatus()).boxes.find((x) => x.name === BOX);
    if (!b || b.state !== 'factory' || b.power !== 'on') throw new Error(`${BOX} must be a powered-on factory box`);
    box = b;
    saved = await saveFactoryState(box);
    app = createApp({ dataDir: path.join(dir, 'data'), host: 'cli', logger: createLogger({ level: 'silent' }) });
    await new ArtifactCache(app.dataDir).add(buildRelease(path.join(dir, 'usb')));
    for (const k of box.hostKeys) app.trust.pin({ host: box.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial' });
    profile = loadProfile(EXAMPLE_PROFILE);
  }, 120_000);

  afterAll(async () => {
    if (box) await restoreFactoryState(box, saved, technicianKeyPath(app.dataDir));
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  /** Every box call waits for this first: a reboot started by an event lands before the next command. */
  let gate: Promise<unknown> = Promise.resolve();
  /**
   * Set by a cut: the link stays down for the rest of that run, as a pulled cable does (the pool
   * would otherwise reconnect at once and heal a cut between two commands within the same run).
   */
  let down = false;
  const provision = (onEvent?: (e: StepEvent) => void, dryRun = false): Promise<BoxResult> => {
    down = false;
    const deps = provisionDeps(app, { password: box.password, timeoutMs: 20_000 });
    const openShell = deps.openShell;
    deps.openShell = async (target, signal) => {
      const sh = await openShell(target, signal);
      const wait =
        <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
        async (...a: A) => {
          await gate;
          if (down) throw new FieldlinkError('LINK_DOWN', `The link to ${BOX} is cut.`);
          return fn(...a);
        };
      return { ...sh, kind: sh.kind, target: sh.target, exec: wait(sh.exec), put: wait(sh.put), get: wait(sh.get), close: () => sh.close() };
    };
    return provisionBox(deps, box.ip, profile, { dryRun, profileDir: path.dirname(EXAMPLE_PROFILE), onEvent: (_t, e) => onEvent?.(e) });
  };
  const reachable = async () => {
    try {
      const sh = await app.connections.shell(box.ip, { password: box.password, timeoutMs: 10_000 });
      const ok = (await sh.exec('true')).code === 0;
      await sh.close();
      return ok;
    } catch {
      return false;
    }
  };
  const state = async () => {
    const r = await keySsh(box, technicianKeyPath(app.dataDir), STATE);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  it('converges to the state of a clean run whatever was cut', async () => {
    const clean = await provision();
    expect(clean.ok, JSON.stringify(clean.error)).toBe(true);
    const want = await state();
    expect(want).toMatch(/passwordauthentication no/);
    expect(want).toMatch(/\sReady\n?$/);
    await restoreFactoryState(box, saved, technicianKeyPath(app.dataDir));

    const log: string[] = [];
    for (const id of planFor().map((s) => s.id)) {
      // First at the step's start; then in its middle (its first progress line), or at its end when it has none.
      for (const when of ['start', 'middle'] as const) {
        let fired = false;
        const reboot = id === 'k3s' && when === 'middle';
        const r = await provision((e) => {
          // The reboot run goes on with the install on the rebooted box, and stops once k3s is done, so the later steps keep their own cuts.
          if (reboot && fired && e.type === 'end' && e.outcome.id === id) down = true;
          // The k3s step reboots the box once its files are sent, just before install.sh runs.
          const middle = reboot
            ? e.type === 'progress' && e.id === id && e.message.startsWith('Installing k3s')
            : (e.type === 'progress' && e.id === id) || (e.type === 'end' && e.outcome.id === id);
          const at = when === 'start' ? e.type === 'start' && e.id === id : middle;
          if (fired || !at) return;
          fired = true;
          if (reboot) gate = lab('reboot', box.name);
          else {
            down = true;
            cutLink(box);
          }
        });
        await gate;
        // A technician runs it again once the link is back: the pooled connection the cut killed is
        // found dead on its next call ("Fieldlink will reconnect on the next call") and replaced.
        await until(() => reachable(), 60_000, `${BOX} reachable again`);
        log.push(
          `${when} of ${id}${reboot ? ' (reboot)' : ''}: ${r.ok ? `ran through (${r.outcomes.map((o) => `${o.id}:${o.outcome}`).join(' ')})` : `stopped at ${r.error?.step ?? 'connect'} (${r.error?.code})`}`,
        );
        expect(fired, `${when} of ${id} was reached:\n${log.join('\n')}`).toBe(true);
      }
    }
    process.stdout.write(`provision faults on ${BOX}:\n  ${log.join('\n  ')}\n`);
    expect(
      log.filter((l) => l.includes('ran through')),
      'every cut stopped its run',
    ).toEqual([]);

    const last = await provision();
    expect(last.ok, JSON.stringify(last.error)).toBe(true);
    expect(await state()).toBe(want);
    const dry = await provision(undefined, true);
    expect(dry.outcomes.filter((o) => o.outcome !== 'done').map((o) => [o.id, o.drift])).toEqual([]);
  }, 600_000);
});

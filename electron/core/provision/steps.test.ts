import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { ExecResult, Shell } from '../transport/index.ts';
import { ArtifactCache, factsStep, hostnameStep, keysStep, parseProfile, runSteps, type Profile, type Step, type StepContext, type StepEvent } from './index.ts';

const TECH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFJ0ZWNobmljaWFua2V5Zm9ydGVzdHMwMDAwMDAwMDAw fieldlink@laptop';

function profile(over: Partial<Profile> = {}): Profile {
  const r = parseProfile(
    'apiVersion: fieldlink/v1\nkind: Profile\nname: t\nsite: { id: lab }\nhostname: edge-{site}-{serial:4}\nusers: [{ name: root, keys: [technician] }]\nk3s: { role: server, version: v1.30.6+k3s1 }\n',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { ...r.profile, ...over };
}

const result = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), truncated: false });

/** A Shell that runs commands with the real sh on this machine, in a HOME of its own: the key scripts run for real. */
function localShell(home: string): Shell {
  return {
    kind: 'ssh',
    target: 'local',
    exec(command, opts = {}) {
      return new Promise((resolve, reject) => {
        const p = spawn('sh', ['-c', command], { env: { ...process.env, HOME: home } });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        p.stdout.on('data', (c: Buffer) => out.push(c));
        p.stderr.on('data', (c: Buffer) => err.push(c));
        p.on('error', reject);
        p.on('close', (code) => resolve(result(code ?? 1, Buffer.concat(out).toString(), Buffer.concat(err).toString())));
        p.stdin.end(opts.stdin ?? '');
      });
    },
    put: () => Promise.reject(new Error('not used')),
    get: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

function fakeStep(id: string, state: { done: boolean; applied?: number }, fail?: string): Step {
  return {
    id,
    title: `step ${id}`,
    check: async () => ({ done: state.done, drift: state.done ? [] : [`${id} differs`] }),
    apply: async (_ctx, progress) => {
      if (fail) throw new FieldlinkError('REMOTE_FAILED', fail);
      progress(`applying ${id}`);
      state.applied = (state.applied ?? 0) + 1;
      state.done = true;
    },
    verify: async () => {},
  };
}

const ctxWith = (shell: Shell, p = profile()): StepContext => ({ shell, profile: p, technicianKey: TECH });

describe('runSteps', () => {
  it('skips what is done, applies and verifies the rest, and reports each step', async () => {
    const a = { done: true };
    const b = { done: false };
    const events: StepEvent[] = [];
    const out = await runSteps([fakeStep('a', a), fakeStep('b', b)], ctxWith(localShell(os.tmpdir())), { onEvent: (e) => events.push(e) });
    expect(out.map((o) => [o.id, o.outcome, o.drift])).toEqual([
      ['a', 'done', []],
      ['b', 'changed', ['b differs']],
    ]);
    expect(events.map((e) => e.type)).toEqual(['start', 'end', 'start', 'progress', 'end']);
    // A second run finds everything done: re-running is safe.
    expect((await runSteps([fakeStep('a', a), fakeStep('b', b)], ctxWith(localShell(os.tmpdir())))).map((o) => o.outcome)).toEqual(['done', 'done']);
  });

  it('hands what the check read to apply, so the box is read once before a change and once after', async () => {
    let reads = 0;
    let handed: unknown;
    const step: Step<{ hash: string }> = {
      id: 'x',
      title: 'step x',
      check: async () => ({ done: false, drift: ['x differs'], state: { hash: `read ${++reads}` } }),
      apply: async (_ctx, _progress, checked) => void (handed = checked?.state),
      verify: async () => void reads++,
    };
    await runSteps([step], ctxWith(localShell(os.tmpdir())));
    expect(handed).toEqual({ hash: 'read 1' });
    expect(reads).toBe(2);
  });

  it('a dry run only checks, and lists the drift', async () => {
    const b = { done: false, applied: 0 };
    const out = await runSteps([fakeStep('b', b)], ctxWith(localShell(os.tmpdir())), { dryRun: true });
    expect(out).toMatchObject([{ id: 'b', outcome: 'would-change', drift: ['b differs'] }]);
    expect(b.applied).toBe(0);
  });

  it('stops at the first failure, saying why; the steps before stay done', async () => {
    const later = { done: false, applied: 0 };
    const out = await runSteps([fakeStep('a', { done: true }), fakeStep('x', { done: false }, 'disk full'), fakeStep('z', later)], ctxWith(localShell(os.tmpdir())));
    expect(out.map((o) => o.outcome)).toEqual(['done', 'failed']);
    expect(out[1]!.error).toEqual({ code: 'REMOTE_FAILED', message: 'disk full' });
    expect(later.applied).toBe(0);
  });
});

describe('the keys step (the real install script, in a HOME of its own)', () => {
  it('adds the technician key with 700/600, then finds it done; a key with another comment counts as present', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-keys-'));
    const ctx = ctxWith(localShell(home));
    ctx.facts = { user: 'root', home } as StepContext['facts'];
    const before = await keysStep.check(ctx);
    expect(before.done).toBe(false);
    expect(before.drift).toEqual([expect.stringMatching(/^authorized_keys: add ssh-ed25519 …\S+ \(technician key\)$/), '~/.ssh modes: - - -> 700 600']);
    const [first] = await runSteps([keysStep], ctx);
    expect(first!.outcome).toBe('changed');
    expect(fs.statSync(path.join(home, '.ssh')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(home, '.ssh', 'authorized_keys')).mode & 0o777).toBe(0o600);
    expect((await runSteps([keysStep], ctx))[0]!.outcome).toBe('done');

    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-keys-'));
    fs.mkdirSync(path.join(other, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(other, '.ssh', 'authorized_keys'), `${TECH.split(' ').slice(0, 2).join(' ')} renamed-on-the-box`, { mode: 0o600 });
    expect(await keysStep.check({ ...ctxWith(localShell(other)), facts: ctx.facts })).toEqual({ done: true, drift: [] });
  });

  it('says plainly when the technician key does not exist yet', async () => {
    const ctx = { ...ctxWith(localShell(os.tmpdir())), technicianKey: null, facts: { user: 'root' } as StepContext['facts'] };
    await expect(keysStep.check(ctx)).rejects.toThrow(/run `fieldlink keys`/);
  });
});

describe('the facts step', () => {
  it('reads arch, OS, init and network manager in one round trip', async () => {
    let calls = 0;
    const shell = localShell(os.tmpdir());
    const counted: Shell = { ...shell, exec: (c, o) => (calls++, shell.exec(c, o)) };
    const ctx = ctxWith(counted);
    expect(await factsStep.check(ctx)).toEqual({ done: true });
    expect(calls).toBe(1);
    expect(['amd64', 'arm64', 'arm']).toContain(ctx.facts!.arch);
    expect(['systemd', 'openrc', 'unknown']).toContain(ctx.facts!.init);
    expect(ctx.facts!.kernel).toBe(os.release());
  });

  it('stops a box of an arch the cache lacks at the facts step, before any step changed it', async () => {
    const asked: string[] = [];
    const shell: Shell = {
      ...localShell(os.tmpdir()),
      exec: async (command) => (asked.push(command), result(0, 'machine=aarch64\nhostname=factory\nserial=S1\n')),
    };
    // The laptop holds this k3s for amd64 only: the lab's release without its arm64 files.
    const release = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-facts-release-'));
    execFileSync('sh', [path.resolve(import.meta.dirname, '../../../lab/kube/build-airgap.sh'), release, 'v1.30.6+k3s1'], { stdio: 'pipe' });
    for (const f of ['sha256sum-arm64.txt', 'k3s-arm64', 'k3s-airgap-images-arm64.tar.zst']) fs.rmSync(path.join(release, f));
    const cache = new ArtifactCache(fs.mkdtempSync(path.join(os.tmpdir(), 'fl-facts-cache-')));
    await cache.add(release);
    const ctx: StepContext = { ...ctxWith(shell), artifacts: cache };
    const events: StepEvent[] = [];
    const outcomes = await runSteps([factsStep, hostnameStep, keysStep], ctx, { onEvent: (e) => events.push(e) });
    expect(outcomes.map((o) => [o.id, o.outcome])).toEqual([['facts', 'failed']]);
    expect(outcomes[0]!.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No k3s v1\.30\.6\+k3s1 for arm64 in the cache; add it with `fieldlink artifacts add DIR`/),
    });
    expect(asked).toHaveLength(1);
  });
});

describe('the hostname step', () => {
  /** A box that keeps a hostname and answers the two commands the step uses. */
  function hostBox(initial: string) {
    const box = { kernel: initial, file: initial, sets: 0 };
    const shell: Shell = {
      ...localShell(os.tmpdir()),
      exec: async (command) => {
        if (command.startsWith('echo "kernel=')) return result(0, `kernel=${box.kernel}\nfile=${box.file}\n`);
        const m = /hostnamectl set-hostname ([a-z0-9-]+);/.exec(command);
        if (m) {
          box.sets++;
          box.kernel = box.file = m[1]!;
          return result(0);
        }
        return result(127, '', 'unexpected');
      },
    };
    return { box, shell };
  }

  it('names the box from the pattern and its serial, once', async () => {
    const { box, shell } = hostBox('box-04');
    const ctx = { ...ctxWith(shell), facts: { serial: 'FL25X227YDN', machineId: 'x' } as StepContext['facts'] };
    expect(await hostnameStep.check(ctx)).toEqual({ done: false, drift: ['hostname: box-04 -> edge-lab-7ydn', '/etc/hostname: box-04 -> edge-lab-7ydn'] });
    expect((await runSteps([hostnameStep], ctx)).map((o) => o.outcome)).toEqual(['changed']);
    expect((await runSteps([hostnameStep], ctx)).map((o) => o.outcome)).toEqual(['done']);
    expect(box).toMatchObject({ kernel: 'edge-lab-7ydn', sets: 1 });
  });
});

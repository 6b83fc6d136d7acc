import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { ProfileFile, ProvisionBox, ProvisionRun } from '../../../shared/provision.ts';
import type { EventBus } from '../events/index.ts';
import type { JobRegistry } from '../jobs/index.ts';
import type { HandlersOf } from '../rpc/index.ts';
import { ArtifactCache } from './artifacts.ts';
import { MAX_PROFILE_BYTES, parseProfile } from './parse.ts';
import { planFor } from './plan.ts';
import { profileError } from './problems.ts';
import type { ProvisionDeps } from './run.ts';
import { provisionMany } from './run.ts';
import type { StepEvent } from './steps.ts';

/**
 * The example profile shipped with the app: beside the sources in a checkout (the CLI, the browser
 * host), in the packaged app's resources (Forge's extraResource; Electron sets
 * process.resourcesPath), or two folders up from a bundle run from the checkout; null where none has
 * it. (Not `new URL(…, import.meta.url)`: Vite turns that pattern into an asset URL in the bundle.)
 */
export function exampleProfileIn(roots: { dirname: string; resourcesPath?: string }): string | null {
  const { dirname, resourcesPath } = roots;
  return (
    [
      path.join(dirname, '..', '..', '..', 'assets', 'profiles'),
      ...(resourcesPath ? [path.join(resourcesPath, 'profiles')] : []),
      path.join(dirname, '..', '..', 'assets', 'profiles'),
    ]
      .map((dir) => path.join(dir, 'example.yaml'))
      .find((p) => fs.existsSync(p)) ?? null
  );
}
export const EXAMPLE_PROFILE = exampleProfileIn({ dirname: import.meta.dirname, resourcesPath: (process as { resourcesPath?: string }).resourcesPath });
/** Runs kept for provision.get after they end; the audit log keeps every step for good. */
const KEEP_RUNS = 20;
/** Lines of live step log kept per box. */
const LOG_LINES = 60;
/** provision.changed at most this often per run: ten boxes logging at once must not flood the UI. */
const EMIT_MS = 150;

export interface ProvisionHandlerDeps {
  dataDir: string;
  jobs: JobRegistry;
  bus: EventBus;
  /** How a run reaches boxes and what it uses of the laptop (provisionDeps). */
  deps: () => ProvisionDeps;
}

/** The wizard's calls: profiles to pick, the check as you type, and runs as jobs with per-step events. */
export function provisionHandlers(d: ProvisionHandlerDeps): HandlersOf<'provision'> {
  const runs = new Map<string, { get: () => ProvisionRun }>();
  return {
    'provision.profiles': () => listProfiles(d.dataDir),
    'provision.check': ({ text }) => {
      const r = parseProfile(text);
      if (!r.ok) return { ok: false, problems: r.problems.slice(0, 200), name: null, k3s: null };
      const cached = new ArtifactCache(d.dataDir).list().some((v) => v.version === r.profile.k3s.version);
      return { ok: true, problems: [], name: r.profile.name, k3s: { role: r.profile.k3s.role, version: r.profile.k3s.version, cached } };
    },
    'provision.start': ({ boxIds, text, path: file, dryRun, parallel }) => {
      const r = parseProfile(text, file ? path.basename(file) : 'profile.yaml');
      if (!r.ok) throw profileError(file ?? 'the profile', r.problems);
      const run = startRun(d, runs, { boxIds, profile: r.profile, dir: file ? path.dirname(file) : undefined, dryRun, parallel });
      return run;
    },
    'provision.get': ({ runId }) => {
      const run = runs.get(runId);
      if (!run) throw new FieldlinkError('NOT_FOUND', 'That provisioning run is no longer kept; its steps are in the History.');
      return run.get();
    },
  };
}

function listProfiles(dataDir: string): ProfileFile[] {
  const dir = path.join(dataDir, 'profiles');
  const files = EXAMPLE_PROFILE ? [EXAMPLE_PROFILE] : [];
  try {
    for (const f of fs.readdirSync(dir).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(dir, f));
  } catch {
    // No profiles folder yet: the example only.
  }
  return files.flatMap((file) => {
    try {
      if (fs.statSync(file).size > MAX_PROFILE_BYTES) return [];
      const text = fs.readFileSync(file, 'utf8');
      const r = parseProfile(text, path.basename(file));
      return [{ name: r.ok ? r.profile.name : path.basename(file), path: file, text }];
    } catch {
      return [];
    }
  });
}

function startRun(
  d: ProvisionHandlerDeps,
  runs: Map<string, { get: () => ProvisionRun }>,
  o: { boxIds: string[]; profile: import('./profile.ts').Profile; dir: string | undefined; dryRun: boolean; parallel: number },
): ProvisionRun {
  const plan = planFor().map((s) => ({ id: s.id, title: s.title }));
  const boxes = new Map<string, ProvisionBox>(o.boxIds.map((id) => [id, { boxId: id, state: 'waiting', step: null, progress: 0, steps: [], log: [], error: null }]));
  const run: ProvisionRun = {
    runId: randomUUID(),
    jobId: '',
    profile: o.profile.name,
    dryRun: o.dryRun,
    state: 'running',
    plan,
    boxes: [...boxes.values()],
    startedAt: new Date().toISOString(),
    endedAt: null,
  };
  // What leaves the core is a copy: the boxes go on changing under it.
  const snapshot = (): ProvisionRun => ({ ...run, boxes: [...boxes.values()].map((b) => ({ ...b, steps: [...b.steps], log: [...b.log] })) });
  let timer: NodeJS.Timeout | undefined;
  const emit = (now = false) => {
    const send = () => {
      timer = undefined;
      d.bus.emit('provision.changed', snapshot());
    };
    if (now) {
      clearTimeout(timer);
      return send();
    }
    timer ??= setTimeout(send, EMIT_MS);
  };
  const onEvent = (boxId: string, e: StepEvent) => {
    const b = boxes.get(boxId)!;
    b.state = 'running';
    if (e.type === 'start') {
      b.step = e.title;
      b.log.push(`${e.title}…`);
    } else if (e.type === 'progress') b.log.push(`  ${e.message}`);
    else {
      b.steps.push(e.outcome);
      b.progress = b.steps.length / plan.length;
      b.log.push(`${e.outcome.title}: ${e.outcome.outcome}${e.outcome.error ? ` — ${e.outcome.error.message}` : ''}`);
    }
    if (b.log.length > LOG_LINES) b.log.splice(0, b.log.length - LOG_LINES);
    emit();
  };
  const { job, done } = d.jobs.start(
    'provision',
    `${o.dryRun ? 'Check' : 'Provision'} ${o.boxIds.length} box${o.boxIds.length === 1 ? '' : 'es'} · ${o.profile.name}`,
    async (ctx) => {
      const results = await provisionMany(d.deps(), o.boxIds, o.profile, {
        dryRun: o.dryRun,
        parallel: o.parallel,
        profileDir: o.dir,
        signal: ctx.signal,
        onEvent: (id, e) => {
          onEvent(id, e);
          const ended = [...boxes.values()].reduce((n, b) => n + b.steps.length, 0);
          ctx.progress(
            ended / (plan.length * o.boxIds.length),
            `${[...boxes.values()].filter((b) => b.state === 'ok' || b.state === 'failed').length} of ${o.boxIds.length} boxes`,
          );
        },
      });
      for (const r of results) {
        const b = boxes.get(r.target)!;
        Object.assign(b, { state: r.ok ? 'ok' : 'failed', step: null, progress: 1, error: r.error ?? null });
      }
      const failed = results.filter((r) => !r.ok).length;
      if (failed) throw new FieldlinkError('REMOTE_FAILED', `${failed} of ${results.length} boxes failed.`);
    },
  );
  run.jobId = job.id;
  const finish = () => {
    // The job has ended by now (its own settling runs first): failed when a box failed, or cancelled.
    const ended = d.jobs.list().find((j) => j.id === job.id)?.state;
    run.state = ended === 'failed' || ended === 'cancelled' ? ended : 'done';
    run.endedAt = new Date().toISOString();
    emit(true);
  };
  void done.then(finish, finish);
  runs.set(run.runId, { get: snapshot });
  for (const id of [...runs.keys()].slice(0, Math.max(0, runs.size - KEEP_RUNS))) runs.delete(id);
  return snapshot();
}

import { FieldlinkError } from '../../../shared/errors.ts';
import type { AuditLog } from '../db/index.ts';
import type { Shell } from '../transport/index.ts';
import { planFor } from './plan.ts';
import type { Profile } from './profile.ts';
import { boxHostname, runSteps, type StepContext, type StepEvent, type StepOutcome } from './steps.ts';

/** What a provisioning run needs from the app: how to reach a box, and what the laptop holds. */
export interface ProvisionDeps {
  openShell(target: string, signal?: AbortSignal): Promise<Shell>;
  /** A fresh key-only SSH login to the target gets in (see StepContext.proveKeyLogin). */
  proveKeyLogin?(target: string, shell: Shell): Promise<boolean>;
  artifacts: NonNullable<StepContext['artifacts']>;
  secret?: StepContext['secret'];
  technicianKey: () => string | null;
  audit?: Pick<AuditLog, 'record'>;
  /** The inventory's box a target names, for the audit rows. */
  boxIdOf?(target: string): string | null;
  /** A run that reached the end on a known box: the Fleet shows it provisioned, under its new name. */
  markProvisioned?(boxId: string, p: { hostname: string | null; k3sVersion: string; arch: string | null }): void;
}

export interface ProvisionOptions {
  dryRun?: boolean;
  profileDir?: string;
  signal?: AbortSignal;
  onEvent?: (target: string, e: StepEvent) => void;
}

export interface BoxResult {
  target: string;
  ok: boolean;
  outcomes: StepOutcome[];
  ms: number;
  /** The first failure: connecting, or the step that stopped the run. */
  error?: { code: string; message: string; step?: string };
}

/** One box through the whole plan, every step's outcome in the audit log. A failure is a result, never a throw. */
export async function provisionBox(deps: ProvisionDeps, target: string, profile: Profile, opts: ProvisionOptions = {}): Promise<BoxResult> {
  const started = performance.now();
  const boxId = deps.boxIdOf?.(target) ?? null;
  const audit = (action: 'provision.step' | 'provision.run', outcome: 'ok' | 'failed', detail: string) =>
    deps.audit?.record({ boxId, action, outcome, detail: `${target} · profile ${profile.name}${opts.dryRun ? ' · dry run' : ''} · ${detail}` });
  let shell: Shell;
  try {
    shell = await deps.openShell(target, opts.signal);
  } catch (err) {
    const e = err instanceof FieldlinkError ? err : new FieldlinkError('INTERNAL', `Connecting to ${target} failed unexpectedly.`, undefined, { cause: err });
    audit('provision.run', 'failed', `could not connect: ${e.message}`);
    return { target, ok: false, outcomes: [], ms: Math.round(performance.now() - started), error: { code: e.code, message: e.message } };
  }
  // A step may have put a new session in the context (the network step): that one is closed too.
  let opened: StepContext | undefined;
  try {
    const ctx: StepContext = {
      shell,
      profile,
      technicianKey: deps.technicianKey(),
      artifacts: deps.artifacts,
      secret: deps.secret,
      profileDir: opts.profileDir,
      proveKeyLogin: deps.proveKeyLogin && shell.kind === 'ssh' ? () => deps.proveKeyLogin!(target, shell) : undefined,
      reopen: () => deps.openShell(target, opts.signal),
      signal: opts.signal,
    };
    opened = ctx;
    const outcomes = await runSteps(planFor(), ctx, {
      dryRun: opts.dryRun,
      onEvent: (e) => {
        if (e.type === 'end') {
          const o = e.outcome;
          audit(
            'provision.step',
            o.outcome === 'failed' ? 'failed' : 'ok',
            `${o.id}: ${o.outcome}${o.drift.length ? ` (${o.drift.join('; ')})` : ''}${o.error ? `: ${o.error.message}` : ''}`,
          );
        }
        opts.onEvent?.(target, e);
      },
    });
    const failed = outcomes.find((o) => o.outcome === 'failed');
    const ms = Math.round(performance.now() - started);
    audit('provision.run', failed ? 'failed' : 'ok', failed ? `stopped at ${failed.id}` : `${outcomes.filter((o) => o.outcome === 'changed').length} step(s) changed in ${ms} ms`);
    if (!failed && !opts.dryRun && boxId)
      deps.markProvisioned?.(boxId, { hostname: ctx.facts ? boxHostname(ctx) : null, k3sVersion: profile.k3s.version, arch: ctx.facts?.arch ?? null });
    return { target, ok: !failed, outcomes, ms, ...(failed ? { error: { ...failed.error!, step: failed.id } } : {}) };
  } finally {
    await shell.close().catch(() => undefined);
    if (opened && opened.shell !== shell) await opened.shell.close().catch(() => undefined);
  }
}

/**
 * Many boxes, at most `parallel` at once: one box's failure never stops the others, and the results
 * come back in the order the targets were given.
 */
export async function provisionMany(deps: ProvisionDeps, targets: string[], profile: Profile, opts: ProvisionOptions & { parallel?: number } = {}): Promise<BoxResult[]> {
  const results: BoxResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) results[i] = await provisionBox(deps, targets[i]!, profile, opts);
  };
  const n = Math.max(1, Math.min(opts.parallel ?? 1, targets.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

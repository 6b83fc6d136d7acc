import { createHash } from 'node:crypto';
import { FieldlinkError } from '../../../shared/errors.ts';
import { boxFailure, type Shell } from '../transport/index.ts';
import type { ArtifactCache } from './artifacts.ts';
import { hostnameFor, type Profile } from './profile.ts';

/*
 * A plan is a list of steps, each idempotent: `check` says whether the box already matches (and
 * what differs: the drift a dry run prints), `apply` makes it match, `verify` proves it did. Re-running
 * is always safe because a step that is done is skipped, and a step cut off mid-way is simply not
 * done yet the next time round.
 */

/** What the box is, read by the facts step; every value is box-supplied text, bounded and cleaned. */
export interface BoxFacts {
  /** The k3s arch name: amd64, arm64, arm (from uname -m). */
  arch: string;
  machine: string;
  osId: string;
  osVersion: string;
  osName: string;
  kernel: string;
  init: 'systemd' | 'openrc' | 'unknown';
  networkManager: 'netplan' | 'networkmanager' | 'systemd-networkd' | 'none';
  hostname: string;
  serial: string;
  machineId: string;
  /** The user the shell is logged in as. */
  user: string;
  home: string;
}

export interface StepContext {
  shell: Shell;
  profile: Profile;
  /** The technician public key line that `technician` in a profile stands for. */
  technicianKey: string | null;
  /** Filled by the facts step, read by the ones after it. */
  facts?: BoxFacts;
  /** The laptop's k3s artifact cache (the k3s step). */
  artifacts?: Pick<ArtifactCache, 'pick'>;
  /** A secret the profile names, from the keychain; undefined when it is not there. */
  secret?: (name: string) => string | undefined;
  /** The folder the profile was read from: its workload files are relative to it. */
  profileDir?: string;
  /**
   * Whether a fresh SSH login with only the technician key gets in now (no password, no agent):
   * what the password step asks before it turns password login off. Absent over a cable.
   */
  proveKeyLogin?: () => Promise<boolean>;
  /**
   * A new session to the same target, for a step whose change may cut the one it has (the network
   * step puts it in `shell`; the run closes whatever `shell` is at the end).
   */
  reopen?: () => Promise<Shell>;
  signal?: AbortSignal;
}

export interface StepCheck<S = unknown> {
  done: boolean;
  /** What differs between the box and the profile, one line each: shown by a dry run. */
  drift?: string[];
  /** What the check read of the box, handed to apply so the box is not read (or hashed) twice. */
  state?: S;
}

export type StepProgress = (message: string) => void;

export interface Step<S = unknown> {
  id: string;
  title: string;
  check(ctx: StepContext): Promise<StepCheck<S>>;
  /** Runs right after the check that found the box differs; verify reads the box afresh. */
  apply(ctx: StepContext, progress: StepProgress, checked?: StepCheck<S>): Promise<void>;
  verify(ctx: StepContext): Promise<void>;
}

export interface StepOutcome {
  id: string;
  title: string;
  outcome: 'done' | 'changed' | 'would-change' | 'failed';
  drift: string[];
  ms: number;
  error?: { code: string; message: string };
}

export type StepEvent = { type: 'start'; id: string; title: string } | { type: 'progress'; id: string; message: string } | { type: 'end'; outcome: StepOutcome };

/**
 * Runs the steps in order: each is checked, and applied then verified only when not done. A dry run
 * only checks. The first failure stops the run (later steps build on earlier ones) and is reported
 * as that step's outcome; the steps before it stay done, so a re-run picks up there.
 */
export async function runSteps(steps: Step[], ctx: StepContext, opts: { dryRun?: boolean; onEvent?: (e: StepEvent) => void } = {}): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const started = performance.now();
    opts.onEvent?.({ type: 'start', id: step.id, title: step.title });
    const finish = (outcome: StepOutcome['outcome'], drift: string[], error?: StepOutcome['error']): StepOutcome => {
      const o: StepOutcome = { id: step.id, title: step.title, outcome, drift, ms: Math.round(performance.now() - started), ...(error ? { error } : {}) };
      outcomes.push(o);
      opts.onEvent?.({ type: 'end', outcome: o });
      return o;
    };
    let drift: string[] = [];
    try {
      ctx.signal?.throwIfAborted();
      const before = await step.check(ctx);
      drift = before.drift ?? [];
      if (before.done) {
        finish('done', drift);
        continue;
      }
      if (opts.dryRun) {
        finish('would-change', drift);
        continue;
      }
      await step.apply(ctx, (message) => opts.onEvent?.({ type: 'progress', id: step.id, message }), before);
      await step.verify(ctx);
      finish('changed', drift);
    } catch (err) {
      const e = err instanceof FieldlinkError ? err : new FieldlinkError('INTERNAL', `The ${step.title} step failed unexpectedly.`, undefined, { cause: err });
      finish('failed', drift, { code: e.code, message: e.message });
      break;
    }
  }
  return outcomes;
}

/** Runs a step's command and insists on exit 0; the error names the step, not the command (which may be long). */
export async function run(ctx: StepContext, what: string, command: string, opts: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await ctx.shell.exec(command, { stdin: opts.stdin, timeoutMs: opts.timeoutMs ?? 60_000, signal: ctx.signal, maxOutputBytes: 256 * 1024 });
  const stdout = Buffer.from(r.stdout).toString('utf8');
  if (r.code !== 0) {
    const stderr = stderrTail(r.stderr, 300);
    throw boxFailure(`The box could not ${what} (exit ${r.code ?? `by signal ${r.signal}`}${stderr ? `: ${stderr}` : ''}).`, stderr, '');
  }
  return stdout;
}

/** The facts a step needs, or a clear error when the plan was put together without the facts step first. */
export function factsOf(ctx: StepContext): BoxFacts {
  if (!ctx.facts) throw new FieldlinkError('INTERNAL', 'The box facts were not read before this step; the facts step runs first.');
  return ctx.facts;
}

/** `text` as one single-quoted word for sh: for values the profile schema has already bounded. */
export function shq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `KEY=value` lines of a step's read script as a map (box-supplied text: bounded, first 64 lines). */
export function readKeyValues(out: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of out.split('\n').slice(0, 64)) {
    const at = line.indexOf('=');
    if (at > 0) kv.set(line.slice(0, at), line.slice(at + 1, at + 1 + 4096).trim());
  }
  return kv;
}

/** The end of a command's stderr as one printable line, for an error message. */
export function stderrTail(stderr: Uint8Array, max: number): string {
  return Buffer.from(stderr)
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(-max);
}

/** The name the profile gives this box (its hostname, and so its node's name). */
export function boxHostname(ctx: StepContext): string {
  const facts = factsOf(ctx);
  return hostnameFor(ctx.profile, { serial: facts.serial || facts.machineId });
}

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { loadProfile, provisionDeps, provisionMany, type BoxResult, type StepEvent } from '../../core/provision/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';
import { table } from '../output.ts';

const USAGE = 'Usage: fieldlink provision TARGET… --profile FILE [--dry-run] [--parallel N] [--json]';
const MAX_PARALLEL = 50;

export const provision: Command = {
  name: 'provision',
  usage: 'TARGET… --profile FILE [--dry-run] [--parallel N]',
  summary: 'bring boxes to a profile: each step checked, applied only where the box differs, and verified',
  options: {
    ...connectOptionSpecs,
    profile: { type: 'string', description: 'the profile (YAML) to apply; check it first with `fieldlink profile check FILE`' },
    'dry-run': { type: 'boolean', description: 'change nothing: list, per box and step, what differs from the profile (the drift)' },
    parallel: { type: 'string', description: `how many boxes at once (default 1, at most ${MAX_PARALLEL}); one box failing never stops the others` },
  },
  async run(ctx) {
    const targets = ctx.args;
    const file = ctx.options.profile;
    if (targets.length === 0 || typeof file !== 'string') throw new FieldlinkError('BAD_REQUEST', USAGE);
    const parallel = parallelOf(ctx.options.parallel);
    const profile = loadProfile(file);
    const opts = await connectOptions(ctx);
    const dryRun = Boolean(ctx.options['dry-run']);
    ctx.out.progress(
      `${dryRun ? 'Checking' : 'Provisioning'} ${targets.length} box${targets.length === 1 ? '' : 'es'} against profile ${profile.name}${parallel > 1 ? `, ${parallel} at once` : ''}`,
    );
    const results = await provisionMany(provisionDeps(ctx.app(), opts), targets, profile, {
      dryRun,
      parallel,
      profileDir: path.dirname(path.resolve(file)),
      signal: ctx.signal,
      onEvent: (target, e) => printEvent(ctx, targets.length > 1 ? target : null, e),
    });
    ctx.out.result({ profile: profile.name, dryRun, boxes: results }, () => summary(results, dryRun));
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

function parallelOf(v: unknown): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARALLEL) throw new FieldlinkError('BAD_REQUEST', `--parallel takes a whole number from 1 to ${MAX_PARALLEL}, not "${String(v)}".`);
  return n;
}

/** The step log on stderr: each step as it starts, its progress, and how it ended. */
function printEvent(ctx: CommandContext, target: string | null, e: StepEvent): void {
  const who = target ? `${target}: ` : '';
  if (e.type === 'start') ctx.out.progress(`${who}${e.title}…`);
  else if (e.type === 'progress') ctx.out.progress(`${who}  ${e.message}`);
  else {
    const o = e.outcome;
    const word = { done: 'already done', changed: 'changed', 'would-change': 'would change', failed: 'FAILED' }[o.outcome];
    ctx.out.progress(`${who}${o.title}: ${word} (${(o.ms / 1000).toFixed(1)} s)${o.error ? ` — ${o.error.message}` : ''}`);
    if (o.outcome !== 'failed') for (const d of o.drift) ctx.out.progress(`${who}    ${d}`);
  }
}

function summary(results: BoxResult[], dryRun: boolean): string {
  const rows = results.map((r) => {
    const changed = r.outcomes.filter((o) => o.outcome === (dryRun ? 'would-change' : 'changed'));
    const state = !r.ok ? `FAILED at ${r.error?.step ?? 'connect'}` : dryRun ? (changed.length ? `drift in ${changed.length} step(s)` : 'no drift') : 'done';
    return [r.target, state, changed.map((o) => o.id).join(', ') || '-', `${(r.ms / 1000).toFixed(1)} s`];
  });
  const failures = results.filter((r) => !r.ok).map((r) => `${r.target}: ${r.error?.message ?? 'failed'}`);
  return [table(['BOX', 'RESULT', dryRun ? 'WOULD CHANGE' : 'CHANGED', 'TIME'], rows), ...failures].join('\n');
}

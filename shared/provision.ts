import { z } from 'zod';

/** One thing wrong with a profile, pointed at (electron/core/provision ProfileProblem). */
export const ProfileProblem = z.object({ file: z.string(), line: z.number().int(), col: z.number().int(), path: z.string(), message: z.string() });

export const ProfileCheck = z.object({
  ok: z.boolean(),
  problems: z.array(ProfileProblem),
  /** For a valid profile: what the review shows of it. */
  name: z.string().nullable(),
  k3s: z.object({ role: z.string(), version: z.string(), cached: z.boolean() }).nullable(),
});
export type ProfileCheck = z.infer<typeof ProfileCheck>;

/** A profile the wizard offers: the example shipped with the app, and the ones in <data>/profiles. */
export const ProfileFile = z.object({ name: z.string(), path: z.string(), text: z.string() });
export type ProfileFile = z.infer<typeof ProfileFile>;

export const StepResult = z.object({
  id: z.string(),
  title: z.string(),
  outcome: z.enum(['done', 'changed', 'would-change', 'failed']),
  drift: z.array(z.string()),
  ms: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type StepResult = z.infer<typeof StepResult>;

export const ProvisionBox = z.object({
  boxId: z.string(),
  state: z.enum(['waiting', 'running', 'ok', 'failed']),
  /** The step running now (its title), or null. */
  step: z.string().nullable(),
  /** 0..1: steps ended of the plan's steps. */
  progress: z.number().min(0).max(1),
  steps: z.array(StepResult),
  /** The live step log, newest last (bounded). */
  log: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string(), step: z.string().optional() }).nullable(),
});
export type ProvisionBox = z.infer<typeof ProvisionBox>;

export const ProvisionRun = z.object({
  runId: z.string(),
  jobId: z.string(),
  profile: z.string(),
  dryRun: z.boolean(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  /** The plan's step titles in order, for the per-box step ticks. */
  plan: z.array(z.object({ id: z.string(), title: z.string() })),
  boxes: z.array(ProvisionBox),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type ProvisionRun = z.infer<typeof ProvisionRun>;

const ProfileText = z.string().max(256 * 1024);

export const provisionCalls = {
  profiles: z.object({}).strict(),
  check: z.object({ text: ProfileText }).strict(),
  start: z
    .object({
      boxIds: z.array(z.string().min(1).max(200)).min(1).max(200),
      text: ProfileText,
      /** The file the text came from: workload files are read beside it. */
      path: z.string().max(4096).optional(),
      dryRun: z.boolean().default(false),
      parallel: z.number().int().min(1).max(50).default(10),
    })
    .strict(),
  get: z.object({ runId: z.string().min(1).max(100) }).strict(),
};

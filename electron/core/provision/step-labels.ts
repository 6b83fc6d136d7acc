import { FieldlinkError } from '../../../shared/errors.ts';
import { boxHostname, run, shq, type Step, type StepContext } from './steps.ts';

/*
 * The node's labels and taints as the profile has them. k3s applies config.yaml's node-label and
 * node-taint when the node registers, which covers a new box; a node registered before the profile
 * changed is labelled and tainted with kubectl, as k3s's documentation says to.
 */
interface NodeMeta {
  labels: Record<string, string>;
  taints: string[];
}

/** The node's labels and taints; null before k3s runs and the node registers. */
async function current(ctx: StepContext): Promise<NodeMeta | null> {
  const out = await run(ctx, 'report its node labels', `k3s kubectl get node ${boxHostname(ctx)} -o json 2>/dev/null || echo missing`, { timeoutMs: 60_000 });
  if (out.trim() === 'missing') return null;
  let node: { metadata?: { labels?: Record<string, string> }; spec?: { taints?: Array<{ key: string; value?: string; effect: string }> } };
  try {
    node = JSON.parse(out) as typeof node;
  } catch {
    throw new FieldlinkError('PROTOCOL', `kubectl get node ${boxHostname(ctx)} did not answer JSON.`);
  }
  const taints = (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  return { labels: node.metadata?.labels ?? {}, taints };
}

async function registered(ctx: StepContext): Promise<NodeMeta> {
  const now = await current(ctx);
  if (!now) throw new FieldlinkError('REMOTE_FAILED', `Node ${boxHostname(ctx)} is not registered with the box's API server.`);
  return now;
}

function missing(ctx: StepContext, now: NodeMeta): { labels: Array<[string, string]>; taints: string[] } {
  const want = { ...ctx.profile.site.labels, ...ctx.profile.k3s.nodeLabels };
  return {
    labels: Object.entries(want).filter(([k, v]) => now.labels[k] !== v),
    taints: ctx.profile.k3s.nodeTaints.filter((t) => !now.taints.includes(t)),
  };
}

export const labelsStep: Step = {
  id: 'labels',
  title: 'Label and taint the node',
  async check(ctx) {
    if (ctx.profile.k3s.role !== 'server') return { done: true };
    const now = await current(ctx);
    if (!now) return { done: false, drift: [`node ${boxHostname(ctx)}: labels and taints as in the profile, once it registers`] };
    const m = missing(ctx, now);
    const drift = [...m.labels.map(([k, v]) => `label ${k}: ${now.labels[k] ?? '(none)'} -> ${v}`), ...m.taints.map((t) => `taint ${t}: missing`)];
    return { done: drift.length === 0, drift };
  },
  async apply(ctx, progress) {
    const n = boxHostname(ctx);
    const m = missing(ctx, await registered(ctx));
    if (m.labels.length) {
      progress(`Labelling node ${n}`);
      await run(ctx, `label node ${n}`, `k3s kubectl label node ${n} --overwrite ${m.labels.map(([k, v]) => shq(`${k}=${v}`)).join(' ')}`);
    }
    if (m.taints.length) {
      progress(`Tainting node ${n}`);
      await run(ctx, `taint node ${n}`, `k3s kubectl taint node ${n} --overwrite ${m.taints.map(shq).join(' ')}`);
    }
  },
  async verify(ctx) {
    const m = missing(ctx, await registered(ctx));
    if (m.labels.length || m.taints.length)
      throw new FieldlinkError('REMOTE_FAILED', `Node ${boxHostname(ctx)} still lacks ${[...m.labels.map(([k]) => k), ...m.taints].join(', ')}.`);
  },
};

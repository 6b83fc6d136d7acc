import { FieldlinkError } from '../../../shared/errors.ts';
import { boxHostname, run, type Step, type StepContext } from './steps.ts';

/*
 * The node registered and Ready, as the box's own API server says. Waiting is kubectl's watch
 * (`kubectl wait --for=condition=Ready`), not a sleep: the step ends the moment the kubelet reports
 * Ready. Before the node exists there is nothing to watch, so its registration is asked for once a
 * second. On an agent there is no kubeconfig on the box: its server says when it is Ready.
 */
export const READY_TIMEOUT_S = 300;

function serverOnly(ctx: StepContext): void {
  if (ctx.profile.k3s.role !== 'server') {
    throw new FieldlinkError(
      'NOT_AVAILABLE_YET',
      'An agent node is Ready when its server says so; this version waits for Ready on servers only. Check it with `fieldlink health SERVER`.',
    );
  }
}

async function readiness(ctx: StepContext): Promise<string> {
  const out = await run(
    ctx,
    'report its node',
    `k3s kubectl get node ${boxHostname(ctx)} -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || echo missing`,
    {
      timeoutMs: 60_000,
    },
  );
  return out.trim().slice(0, 40) || 'Unknown';
}

export const readyStep: Step = {
  id: 'ready',
  title: 'Wait for the node to be Ready',
  async check(ctx) {
    serverOnly(ctx);
    const now = await readiness(ctx);
    return { done: now === 'True', drift: now === 'True' ? [] : [`node ${boxHostname(ctx)}: ${now === 'missing' ? 'not registered' : `Ready=${now}`} -> Ready`] };
  },
  async apply(ctx, progress) {
    serverOnly(ctx);
    const n = boxHostname(ctx);
    progress(`Waiting for node ${n} to register and be Ready (up to ${READY_TIMEOUT_S} s)`);
    await run(
      ctx,
      `see node ${n} Ready within ${READY_TIMEOUT_S} s`,
      [
        `n=${n}; end=$(( $(date +%s) + ${READY_TIMEOUT_S} ))`,
        'until k3s kubectl get node "$n" >/dev/null 2>&1; do',
        '  [ "$(date +%s)" -lt "$end" ] || { echo "node $n never registered with its API server" >&2; exit 1; }',
        '  sleep 1',
        'done',
        'k3s kubectl wait --for=condition=Ready "node/$n" --timeout=$(( end - $(date +%s) + 1 ))s',
      ].join('\n'),
      { timeoutMs: (READY_TIMEOUT_S + 30) * 1000 },
    );
  },
  async verify(ctx) {
    const now = await readiness(ctx);
    if (now !== 'True') throw new FieldlinkError('REMOTE_FAILED', `Node ${boxHostname(ctx)} is not Ready (Ready=${now}).`);
  },
};

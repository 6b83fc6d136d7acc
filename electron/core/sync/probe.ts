import { safeText } from '../../../shared/text.ts';

export interface ProbeResult {
  /** True when the collector answers and takes the token: a sync can start now. */
  online: boolean;
  /** Why not, in a sentence for the status bar. */
  error?: string;
}

const PROBE_TIMEOUT_MS = 4000;
const NOTHING = '0'.repeat(64);

function describe(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'The collector did not answer within 4 s.';
  if (e?.name === 'AbortError') return 'Cancelled.';
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'The collector refused the connection: it is not running at that address.';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The collector\u2019s name does not resolve here (no DNS?).';
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') return 'No route to the collector: the laptop is offline.';
  return `The collector cannot be reached (${safeText(code ?? (err as Error)?.message ?? 'unknown', 80)}).`;
}

/**
 * Is the collector reachable, and does it take our token? `GET /health` (no token), then an
 * authenticated `HEAD /segments/<64 zeros>` (404 = token good; cheap on every store). Each request
 * gets a short timeout. A refused token is reported as offline with the reason: no sync can run.
 */
export async function probeCollector(url: string, token: string, signal?: AbortSignal): Promise<ProbeResult> {
  const base = url.replace(/\/+$/, '');
  const limit = () => (signal ? AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) : AbortSignal.timeout(PROBE_TIMEOUT_MS));
  try {
    const health = await fetch(`${base}/health`, { signal: limit() });
    const body = await health.text().then((t) => t.slice(0, 256));
    if (health.status !== 200 || !/"ok"\s*:\s*true/.test(body)) return { online: false, error: `That address answers, but not as a Fieldlink collector (HTTP ${health.status}).` };
    const auth = await fetch(`${base}/segments/${NOTHING}`, { method: 'HEAD', headers: { Authorization: `Bearer ${token}` }, signal: limit() });
    if (auth.status === 401 || auth.status === 403) return { online: false, error: 'The collector refused the token. Check the collector token in Settings.' };
    if (auth.status !== 404 && auth.status !== 200) return { online: false, error: `The collector is unwell (HTTP ${auth.status}); sync waits and tries again.` };
    return { online: true };
  } catch (err) {
    return { online: false, error: describe(err) };
  }
}

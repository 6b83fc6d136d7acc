import { FieldlinkError } from '../../../shared/errors.ts';
import type { Job, Settings } from '../../../shared/model.ts';
import { etaText, mibOf, type JobRegistry } from '../jobs/index.ts';
import type { HandlersOf } from '../rpc/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { SegmentStore } from '../logs/index.ts';
import { syncOutbox } from './engine.ts';

export const COLLECTOR_TOKEN = 'collector-token';
const LIST_LIMIT = 2000;

export interface LogHandlerDeps {
  store: () => Promise<SegmentStore>;
  jobs: JobRegistry;
  secrets: SecretStore;
  settings: { get(): Settings };
  /** The collector answered (true) or could not be reached (false): the status bar says so. */
  collectorSeen(online: boolean): void;
}

/** Starts the sync job (the Sync now button, `logs.sync`, and the background sync). */
export async function startSync(d: LogHandlerDeps): Promise<Job> {
  const collector = d.settings.get().collectorUrl;
  if (!collector) throw new FieldlinkError('BAD_REQUEST', 'No collector is set. Enter its address in Settings, then sync.');
  const token = d.secrets.get(COLLECTOR_TOKEN);
  if (!token) throw new FieldlinkError('AUTH_FAILED', 'No collector token is kept on this laptop. Enter yours in the Collector card on the Logs page, then sync.');
  if (d.jobs.running().some((j) => j.kind === 'sync')) throw new FieldlinkError('CONFLICT', 'A sync is already running.');
  const store = await d.store();
  const { job } = d.jobs.start('sync', 'Sync logs to the collector', async (ctx) => {
    const started = performance.now();
    const r = await syncOutbox(store, {
      collector: collectorBase(collector),
      token,
      signal: ctx.signal,
      onProgress: (p) => {
        const eta = etaText(p.sentBytes, p.totalBytes, performance.now() - started);
        ctx.progress(p.totalBytes ? p.sentBytes / p.totalBytes : 1, `${p.done} of ${p.segments} segments · ${mibOf(p.sentBytes, p.totalBytes)}${eta ? ` · ${eta}` : ''}`);
      },
    });
    // A cancel says nothing of the collector; a refused token means it answered.
    const code = r.stoppedBy?.code;
    if (code !== 'ABORTED') d.collectorSeen(code !== 'LINK_DOWN' && code !== 'TIMEOUT');
    if (r.stoppedBy) throw new FieldlinkError(r.stoppedBy.code, r.stoppedBy.message);
    if (r.refused.length) throw new FieldlinkError('STORAGE', `${r.refused.length} segments were refused: ${r.refused[0]!.message}`);
    ctx.progress(1, `${r.uploaded} sent, ${r.duplicates} already there`);
    return r;
  });
  return job;
}

/** The collector's base URL as the Settings field may hold it (a trailing slash or /files). */
export const collectorBase = (url: string) => url.replace(/\/+$/, '').replace(/\/files$/, '');

/** The Logs view's calls (here, not in logs/, since sync builds on logs): what is kept, sync as a job, and the collector token (write-only). */
export function logHandlers(d: LogHandlerDeps): HandlersOf<'logs'> {
  return {
    'logs.list': async ({ boxId }) => {
      const store = await d.store();
      const segments = store.list({ ...(boxId ? { boxId } : {}), limit: LIST_LIMIT + 1 });
      return {
        segments: segments.slice(0, LIST_LIMIT).map(({ rangeFrom: _f, rangeTo: _t, uploadUrl: _u, ...s }) => s),
        usage: store.usage(),
        truncated: segments.length > LIST_LIMIT,
        tokenSet: Boolean(d.secrets.get(COLLECTOR_TOKEN)),
      };
    },
    'logs.sync': async () => ({ jobId: (await startSync(d)).id }),
    'logs.setToken': ({ token }) => {
      if (token.trim()) d.secrets.set(COLLECTOR_TOKEN, token.trim());
      else d.secrets.delete(COLLECTOR_TOKEN);
      return {};
    },
  };
}

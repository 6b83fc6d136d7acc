import { FieldlinkError } from '../../../shared/errors.ts';
import type { Job, Settings } from '../../../shared/model.ts';
import { etaText, mibOf, type JobRegistry } from '../jobs/index.ts';
import type { HandlersOf } from '../rpc/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { SegmentStore } from '../logs/index.ts';
import { syncOutbox } from './engine.ts';
import type { Connections } from '../connections/index.ts';
import type { AuditLog } from '../db/index.ts';
import { collectTarget, summaryLine, type TargetCollection } from '../logs/index.ts';

export const COLLECTOR_TOKEN = 'collector-token';
const LIST_LIMIT = 2000;

export interface LogHandlerDeps {
  store: () => Promise<SegmentStore>;
  jobs: JobRegistry;
  secrets: SecretStore;
  settings: { get(): Settings };
  /** The collector answered (true) or could not be reached (false): the status bar says so. */
  collectorSeen(online: boolean): void;
  /** How "Collect now" reaches a box and records what it did (the same as `fieldlink logs collect`). */
  connections?: Pick<Connections, 'shell'>;
  audit?: Pick<AuditLog, 'record'>;
}

/** Collects the boxes one after the other as a job; the job fails, naming them, if any could not be collected. */
export async function startCollect(d: LogHandlerDeps, boxIds: string[]): Promise<Job> {
  const { connections, audit } = d;
  if (!connections || !audit) throw new FieldlinkError('INTERNAL', 'Collecting needs the connections and the audit log.');
  const store = await d.store();
  const title = boxIds.length === 1 ? 'Collect logs' : `Collect logs from ${boxIds.length} boxes`;
  const { job } = d.jobs.start('collect', title, async (ctx) => {
    const results: TargetCollection[] = [];
    for (const [i, id] of boxIds.entries()) {
      const r = await collectTarget({ connections, audit, store }, id, {
        signal: ctx.signal,
        onStage: (m) => ctx.progress(i / boxIds.length, m),
        onProgress: (p) => ctx.progress(i / boxIds.length, `${p.source}: ${p.lines} lines, ${p.segments} segments`),
      });
      results.push(r);
      if (r.error?.code === 'ABORTED' || r.error?.code === 'STORAGE') break;
    }
    const failed = results.filter((r) => !r.ok);
    if (failed.length) throw new FieldlinkError(failed[0]!.error!.code, failed.map((f) => f.error!.message).join(' '));
    ctx.progress(1, results.map((r) => summaryLine(r.collection!)).join(' · '));
    return results;
  });
  return job;
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
    'logs.collect': async ({ boxIds }) => ({ jobId: (await startCollect(d, boxIds)).id }),
    'logs.setToken': ({ token }) => {
      if (token.trim()) d.secrets.set(COLLECTOR_TOKEN, token.trim());
      else d.secrets.delete(COLLECTOR_TOKEN);
      return {};
    },
  };
}

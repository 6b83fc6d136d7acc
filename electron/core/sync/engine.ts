import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import { uploadMetaOf } from '../logs/upload-meta.ts';
import type { SegmentRow, SegmentStore } from '../logs/segments.ts';
import { uploadSegment, type UploadableSegment } from './uploader.ts';

/**
 * Drains the outbox: every catalogued segment not yet synced goes to the collector, oldest first,
 * one at a time (a field uplink is thin; one stream uses it fully). A segment is marked synced only
 * after a receipt whose hash matches (uploadSegment guarantees that); its tus URL is persisted
 * before any of its bytes go, so a kill or a cut resumes where it stopped. Damaged segments are
 * never sent: recovery reported them, and they wait for the technician.
 */

export interface SyncOptions {
  collector: string;
  token: string;
  signal?: AbortSignal;
  bytesPerSecond?: number;
  /** Tries per segment before the drain gives up for now (the uploader's default when unset). */
  attempts?: number;
  retryBaseMs?: number;
  onProgress?(p: SyncProgress): void;
}

export interface SyncProgress {
  /** Segments done (sent or already there) and in all, this drain. */
  done: number;
  segments: number;
  sentBytes: number;
  totalBytes: number;
}

export interface SyncReport {
  /** Segments the collector stored now, and ones it already had (nothing sent for them). */
  uploaded: number;
  duplicates: number;
  bytes: number;
  /** Segments refused for themselves (e.g. bytes not matching their hash): the drain went on. */
  refused: { hash: string; message: string }[];
  /** Why the drain stopped early (link down, token refused, cancelled); null when it finished. */
  stoppedBy: ReturnType<typeof toApiError> | null;
  /** Still waiting after this drain. */
  waiting: number;
}

/** Errors that would fail every next segment the same way: stop the drain, keep the rest waiting. */
const STOPS = new Set(['LINK_DOWN', 'AUTH_FAILED', 'ABORTED', 'TIMEOUT']);

export async function syncOutbox(store: SegmentStore, o: SyncOptions): Promise<SyncReport> {
  const due = outbox(store);
  const totalBytes = due.reduce((n, s) => n + s.bytes, 0);
  const report: SyncReport = { uploaded: 0, duplicates: 0, bytes: 0, refused: [], stoppedBy: null, waiting: 0 };
  let done = 0;
  for (const row of due) {
    if (o.signal?.aborted) {
      report.stoppedBy = toApiError(new FieldlinkError('ABORTED', 'Sync cancelled; what was not sent stays in the outbox.'));
      break;
    }
    const before = report.bytes;
    try {
      const r = await uploadSegment(uploadable(store, row), {
        collector: o.collector,
        token: o.token,
        resumeUrl: row.uploadUrl,
        onUrl: (url) => store.setSyncState(row.hash, 'uploading', url),
        onProgress: (sent) => o.onProgress?.({ done, segments: due.length, sentBytes: before + sent, totalBytes }),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.bytesPerSecond ? { bytesPerSecond: o.bytesPerSecond } : {}),
        ...(o.attempts ? { attempts: o.attempts } : {}),
        ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
      });
      store.setSyncState(row.hash, 'synced');
      if (r.duplicate) report.duplicates += 1;
      else report.uploaded += 1;
      report.bytes = before + (r.duplicate ? 0 : row.bytes);
    } catch (err) {
      const e = toApiError(err);
      if (STOPS.has(e.code)) {
        report.stoppedBy = e;
        break;
      }
      // Refused for itself (its bytes did not match its name at the collector): check them here too,
      // so a segment rotten on this disk is marked damaged instead of being offered again.
      if (e.code === 'STORAGE') await store.verify(row.hash);
      report.refused.push({ hash: row.hash, message: e.message });
    }
    done += 1;
    o.onProgress?.({ done, segments: due.length, sentBytes: report.bytes, totalBytes });
  }
  report.waiting = outbox(store).length;
  return report;
}

/** Waiting and half-sent segments with good bytes, oldest first (the store lists newest first). */
function outbox(store: SegmentStore): SegmentRow[] {
  return store
    .list({ limit: 100_000 })
    .filter((s) => s.syncState !== 'synced' && s.problem === null)
    .reverse();
}

/** The segment as the uploader sends it, with its metadata encoded as the collector accepts it. */
function uploadable(store: SegmentStore, row: SegmentRow): UploadableSegment {
  const meta = uploadMetaOf(row);
  return { hash: row.hash, box: meta.box, source: meta.source, from: meta.from, to: meta.to, size: row.bytes, open: () => store.read(row.hash) };
}

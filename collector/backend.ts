import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import type { DataStore, Locker } from '@tus/utils';
import type { Logger } from 'pino';
import type { Catalog, SegmentRow } from './catalog.ts';
import type { SegmentMeta } from './metadata.ts';
import { layoutOf, prepareLayout, SegmentStore, segmentPath, type FinalizeResult } from './store.ts';

/**
 * Where segments live. The server speaks tus and the read API once; a backend says how an upload
 * becomes a stored segment and how a segment is found and read: a folder on this machine
 * (FileBackend, the default) or a bucket shared by several instances (S3Backend in s3.ts).
 */
export interface SegmentBackend {
  readonly kind: 'file' | 's3';
  readonly datastore: DataStore;
  /** undefined: tus's own MemoryLocker (one instance). */
  readonly locker: Locker | undefined;
  /** The index the read API answers from (for S3, a local index of the bucket's receipts). */
  readonly catalog: Catalog;
  /** Finishes uploads a previous run left complete but not stored. */
  recover(): Promise<unknown>;
  /** Verifies a finished upload's hash and stores it once (HashMismatchError on a mismatch). */
  finalize(uploadId: string, meta: SegmentMeta, technician: string): Promise<FinalizeResult>;
  /** The stored segment with this hash, looking past the local index when others share the store. */
  lookup(sha256: string): Promise<SegmentRow | undefined>;
  /** Brings the local index up to what other instances stored (nothing to do for one folder). */
  refresh(): Promise<void>;
  /** The segment's bytes, streamed. */
  open(sha256: string): Promise<Readable>;
  /**
   * For an upload whose bytes have all arrived, its receipt, storing it first when the instance that
   * received the last byte died before it could; undefined while bytes are missing.
   */
  finishedUpload(uploadId: string): Promise<SegmentRow | undefined>;
  close(): Promise<void>;
}

/** The folder backend: @tus/file-store plus SegmentStore (fsync, rename by hash, sqlite catalog). */
export class FileBackend implements SegmentBackend {
  readonly kind = 'file' as const;
  readonly datastore: DataStore;
  readonly locker = undefined;
  readonly catalog: Catalog;
  readonly store: SegmentStore;

  constructor(dir: string, catalog: Catalog, log: Logger) {
    const layout = layoutOf(dir);
    prepareLayout(layout);
    this.catalog = catalog;
    this.store = new SegmentStore(layout, catalog, log);
    this.datastore = new FileStore({ directory: layout.uploads });
  }

  recover(): Promise<unknown> {
    return this.store.recover();
  }

  finalize(uploadId: string, meta: SegmentMeta, technician: string): Promise<FinalizeResult> {
    return this.store.finalize(uploadId, meta, technician);
  }

  lookup(sha256: string): Promise<SegmentRow | undefined> {
    return Promise.resolve(this.catalog.get(sha256));
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  async open(sha256: string): Promise<Readable> {
    const rs = fs.createReadStream(segmentPath(this.store.layout, sha256), { highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      rs.once('open', () => resolve());
      rs.once('error', reject);
    });
    return rs;
  }

  /** Finished file uploads are stored at once (or by recover() at start): tus's own answer stands. */
  finishedUpload(): Promise<SegmentRow | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

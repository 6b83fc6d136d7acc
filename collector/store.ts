import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { Catalog, SegmentRow } from './catalog.ts';
import { SHA256_RE, validateSegmentMeta, type SegmentMeta } from './metadata.ts';

/**
 * The collector's folder:
 *   DIR/uploads/<id>, <id>.json   tus uploads in progress (FileStore; ids are the server's, random hex)
 *   DIR/segments/<aa>/<sha256>    finished, verified segments, one file per hash
 *   DIR/catalog.sqlite            the index of stored segments (catalog.ts)
 * A segment moves from uploads/ to segments/ by rename after its bytes were hashed from disk and
 * fsynced; the directory is fsynced after the rename and the catalog row committed before the
 * receipt goes out, so a receipt always names bytes that survive a power cut.
 */
export interface Layout {
  dir: string;
  uploads: string;
  segments: string;
  catalog: string;
}

export function layoutOf(dir: string): Layout {
  const abs = path.resolve(dir);
  return { dir: abs, uploads: path.join(abs, 'uploads'), segments: path.join(abs, 'segments'), catalog: path.join(abs, 'catalog.sqlite') };
}

export function prepareLayout(l: Layout): void {
  for (const d of [l.dir, l.uploads, l.segments]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
}

export function segmentPath(l: Layout, sha256: string): string {
  if (!SHA256_RE.test(sha256)) throw new Error('not a sha256');
  return path.join(l.segments, sha256.slice(0, 2), sha256);
}

export class HashMismatchError extends Error {
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(`The segment's bytes hash to ${actual}, not the ${expected} its metadata names; nothing was stored. Check the segment on the laptop and upload it again.`);
    this.actual = actual;
  }
}

/** sha256 of a file, streamed from disk in 1 MiB reads (never the whole file in memory). */
export async function hashFile(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

async function fsyncPath(p: string, flags = 'r'): Promise<void> {
  const fh = await fsp.open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(p: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  await fsyncPath(p);
}

export interface FinalizeResult {
  stored: boolean;
  row: SegmentRow;
}

export class SegmentStore {
  readonly layout: Layout;
  readonly catalog: Catalog;
  readonly log: Logger;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(layout: Layout, catalog: Catalog, log: Logger) {
    this.layout = layout;
    this.catalog = catalog;
    this.log = log;
  }

  /** Runs fn for one hash at a time: two uploads of the same bytes finishing together store it once. */
  private async exclusive<T>(sha: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(sha) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(sha, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(sha) === tail) this.locks.delete(sha);
    }
  }

  private uploadFile(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error('not an upload id');
    return path.join(this.layout.uploads, id);
  }

  async removeUpload(id: string): Promise<void> {
    const f = this.uploadFile(id);
    await fsp.rm(f, { force: true });
    await fsp.rm(`${f}.json`, { force: true });
  }

  /**
   * Verifies a finished upload against its hash and moves it into segments/ (or drops it when the
   * hash is already stored). On a mismatch the upload is deleted and HashMismatchError thrown.
   */
  async finalize(id: string, meta: SegmentMeta, technician: string): Promise<FinalizeResult> {
    const file = this.uploadFile(id);
    const actual = await hashFile(file);
    if (actual !== meta.sha256) {
      await this.removeUpload(id);
      this.log.warn({ upload: id, expected: meta.sha256, actual, box: meta.box }, 'hash mismatch: upload deleted');
      throw new HashMismatchError(meta.sha256, actual);
    }
    return this.exclusive(meta.sha256, async () => {
      const existing = this.catalog.get(meta.sha256);
      if (existing) {
        await this.removeUpload(id);
        return { stored: false, row: existing };
      }
      const size = (await fsp.stat(file)).size;
      await fsyncPath(file, 'r+');
      const target = segmentPath(this.layout, meta.sha256);
      const shard = path.dirname(target);
      let made = false;
      try {
        await fsp.mkdir(shard, { mode: 0o700 });
        made = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (made) await fsyncDir(this.layout.segments);
      await fsp.rename(file, target);
      await fsyncDir(shard);
      await fsyncDir(this.layout.uploads);
      this.catalog.add(meta, size, technician);
      await fsp.rm(`${file}.json`, { force: true });
      return { stored: true, row: this.catalog.get(meta.sha256)! };
    });
  }

  /**
   * At start: an upload whose bytes are all there but that was never moved (the collector died
   * while hashing), or moved but never catalogued (died between rename and commit), is finished
   * now, so a client that sees its offset complete finds its receipt. Partial uploads stay to be
   * resumed.
   */
  async recover(): Promise<{ finished: number; dropped: number }> {
    let finished = 0;
    let dropped = 0;
    for (const name of await fsp.readdir(this.layout.uploads)) {
      const m = /^([0-9a-f]{32})\.json$/.exec(name);
      if (!m) continue;
      const id = m[1]!;
      let info: { size?: number; metadata?: Record<string, string | null> };
      try {
        info = JSON.parse(await fsp.readFile(path.join(this.layout.uploads, name), 'utf8')) as typeof info;
      } catch {
        continue;
      }
      const { technician, ...md } = info.metadata ?? {};
      let meta: SegmentMeta;
      try {
        meta = validateSegmentMeta(md);
      } catch {
        await this.removeUpload(id);
        dropped++;
        continue;
      }
      const file = this.uploadFile(id);
      const st = await fsp.stat(file).catch(() => undefined);
      if (st && st.size === info.size) {
        try {
          await this.finalize(id, meta, technician ?? 'unknown');
          finished++;
        } catch (err) {
          if (!(err instanceof HashMismatchError)) throw err;
          dropped++;
        }
      } else if (!st) {
        const target = segmentPath(this.layout, meta.sha256);
        if (!this.catalog.get(meta.sha256) && fs.existsSync(target) && (await hashFile(target)) === meta.sha256) {
          this.catalog.add(meta, (await fsp.stat(target)).size, technician ?? 'unknown');
          finished++;
        }
        await fsp.rm(path.join(this.layout.uploads, name), { force: true });
      }
    }
    if (finished || dropped) this.log.info({ finished, dropped }, 'recovered uploads left by the last run');
    return { finished, dropped };
  }
}

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants as zc, zstdCompress, zstdDecompress } from 'node:zlib';
import { FieldlinkError } from '../../../shared/errors.ts';
import { HealthSnapshot as HealthSnapshotSchema } from '../../../shared/health.ts';
import type { Logger } from '../log/index.ts';
import type { HealthSnapshot } from './model.ts';

/**
 * The last health snapshot of every box, on disk, so a technician can still read what was wrong when
 * the box is unreachable. One file per box, `<key>.json.zst` (zstd JSON), replaced crash-safely:
 * written to an O_EXCL temp file with a random name, fsynced, renamed over the old one, the folder
 * fsynced. A kill -9 mid-write leaves only a temp file, removed on the next open; the old snapshot
 * stays whole. A damaged file loads as null with a warning: the store never throws on read.
 */

/** What a snapshot may inflate to when read back (5000 pods are ~8 MB of JSON). */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
/** A temp file older than this is a leftover of a crash, not another process's write in progress. */
const STALE_TEMP_MS = 60_000;
const SUFFIX = '.json.zst';
const TEMP = /^\.snap-[0-9a-f]{16}\.tmp$/;
const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress) as (buf: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>;

/** The file name for a box id: itself when it is plainly safe, else a cleaned prefix and a hash (ids like `SHA256:ab/+c=`). */
export function snapshotFileName(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512 || key.includes('\0') || key === '.' || key === '..')
    throw new FieldlinkError('BAD_REQUEST', 'A snapshot key must be a box id (1-512 characters, no NUL).');
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(key)) return `${key}${SUFFIX}`;
  const clean = key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return `${clean}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}${SUFFIX}`;
}

export class SnapshotStore {
  readonly #dir: string;
  readonly #log: Logger | undefined;
  #ready: Promise<void> | null = null;

  constructor(dir: string, log?: Logger) {
    this.#dir = path.resolve(dir);
    this.#log = log;
  }

  /** The folder exists (0700) and crash leftovers are gone; once per store. */
  #prepare(): Promise<void> {
    return (this.#ready ??= (async () => {
      await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const now = Date.now();
      for (const name of await fs.readdir(this.#dir).catch(() => [] as string[])) {
        if (!TEMP.test(name)) continue;
        const file = path.join(this.#dir, name);
        const st = await fs.stat(file).catch(() => null);
        if (st && now - st.mtimeMs > STALE_TEMP_MS) {
          await fs.rm(file, { force: true });
          this.#log?.info({ file }, 'removed a half-written health snapshot left by a crash');
        }
      }
    })().catch((err: unknown) => {
      this.#ready = null;
      throw new FieldlinkError('STORAGE', `Could not prepare the snapshot folder ${this.#dir}: ${(err as Error).message}. Is the disk full or read-only?`, undefined, {
        cause: err,
      });
    }));
  }

  /** Replaces the box's kept snapshot, crash-safely. */
  async save(key: string, snap: HealthSnapshot): Promise<void> {
    const final = path.join(this.#dir, snapshotFileName(key));
    await this.#prepare();
    const body = await compress(Buffer.from(JSON.stringify({ v: 1, key, savedAt: new Date().toISOString(), snapshot: snap })), {
      params: { [zc.ZSTD_c_compressionLevel]: 3 },
    });
    const tmp = path.join(this.#dir, `.snap-${randomBytes(8).toString('hex')}.tmp`);
    try {
      const fh = await fs.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, final);
      await syncDir(this.#dir);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw new FieldlinkError('STORAGE', `Could not keep the health snapshot of ${key}: ${(err as Error).message}. Is the disk full?`, { key }, { cause: err });
    }
  }

  /** The box's kept snapshot, or null when there is none or it is damaged (logged). */
  async load(key: string): Promise<HealthSnapshot | null> {
    const file = path.join(this.#dir, snapshotFileName(key));
    await this.#prepare().catch(() => undefined);
    let raw: Buffer;
    try {
      const st = await fs.stat(file);
      if (st.size > MAX_SNAPSHOT_BYTES) return this.#damaged(file, `is ${st.size} bytes, over the bound`);
      raw = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log?.warn({ file, err: (err as Error).message }, 'could not read a kept health snapshot');
      return null;
    }
    let doc: unknown;
    try {
      doc = JSON.parse((await decompress(raw, { maxOutputLength: MAX_SNAPSHOT_BYTES })).toString('utf8'));
    } catch (err) {
      return this.#damaged(file, `does not decompress or parse (${(err as Error).message.slice(0, 100)})`);
    }
    const d = doc as { v?: unknown; key?: unknown; snapshot?: unknown };
    if (d?.v !== 1 || d.key !== key) return this.#damaged(file, 'is not this box’s snapshot');
    const parsed = HealthSnapshotSchema.safeParse(d.snapshot);
    if (!parsed.success) return this.#damaged(file, 'does not hold a health snapshot');
    return parsed.data;
  }

  #damaged(file: string, why: string): null {
    this.#log?.warn({ file }, `a kept health snapshot ${why}; ignoring it`);
    return null;
  }
}

/** The rename is durable only once the folder's entry is on disk (not possible on Windows: skipped there). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

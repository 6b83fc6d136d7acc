import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';

/*
 * The file-level pieces of the artifact cache: reading a release's sha256sum manifest, and copying
 * a file while hashing it (one read of a slow USB stick, not two), durably (fsync before rename).
 * Everything on the stick is untrusted: names are plain file names, sizes are bounded, links are
 * not followed.
 */

/** A manifest is a few lines per asset; a real release's is under 4 KiB. */
const MAX_MANIFEST_BYTES = 1024 * 1024;
/** The biggest k3s asset (the uncompressed airgap tarball) is under 1 GiB; leave room for growth. */
export const MAX_ARTIFACT_BYTES = 8 * 1024 * 1024 * 1024;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
/** k3s release tags as the binary carries them (Go ldflags): v1.30.6+k3s1. */
export const K3S_VERSION = /^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$/;
const VERSION_IN_BINARY = /v[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\+k3s[0-9]{1,3}/g;

/** `sha256sum` output: `<hex>  name` (text mode) or `<hex> *name` (binary mode). Returns name -> sha256. */
export function parseSha256Manifest(file: string): Map<string, string> {
  const st = regularFile(file);
  if (st.size > MAX_MANIFEST_BYTES) throw new FieldlinkError('BAD_REQUEST', `${file} is too big for a checksum file (${st.size} bytes); is it the release's sha256sum file?`);
  const out = new Map<string, string>();
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    const name = m?.[2]?.replace(/^\.\//, '');
    if (!m || !name || !SAFE_NAME.test(name)) {
      throw new FieldlinkError('BAD_REQUEST', `${path.basename(file)} line ${i + 1} is not "<sha256>  <file name>"; use the checksum file from the k3s release as it is.`);
    }
    const prev = out.get(name);
    const sum = m[1]!.toLowerCase();
    if (prev && prev !== sum) throw new FieldlinkError('BAD_REQUEST', `${path.basename(file)} lists ${name} twice with different checksums.`);
    out.set(name, sum);
  });
  return out;
}

/** lstat that refuses links and anything but a regular file: a stick could point a name at ~/.ssh. */
export function regularFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FieldlinkError(code === 'ENOENT' ? 'NOT_FOUND' : 'STORAGE', `Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, { path: file });
  }
  if (!st.isFile()) throw new FieldlinkError('BAD_REQUEST', `${file} is not a regular file (a link or a folder); copy the release files themselves.`, { path: file });
  if (st.size > MAX_ARTIFACT_BYTES) throw new FieldlinkError('BAD_REQUEST', `${file} is ${st.size} bytes, more than any k3s artifact.`, { path: file });
  return st;
}

export interface CopyResult {
  sha256: string;
  size: number;
  /** k3s release tags seen in the bytes (only when asked to look). */
  versions: Set<string>;
}

/**
 * Copies `src` to `dest` (a new file, 0644 or 0755 for binaries) hashing as it goes, then fsyncs
 * it. Returns the hash; the caller compares it and renames into place, so a damaged or partial
 * copy is never visible under its real name.
 */
export async function copyHashed(
  src: string,
  dest: string,
  opts: { mode: number; scanVersion?: boolean; signal?: AbortSignal; onBytes?: (n: number) => void },
): Promise<CopyResult> {
  const hash = crypto.createHash('sha256');
  const versions = new Set<string>();
  let tail = '';
  let size = 0;
  const out = await fs.promises.open(dest, 'wx', opts.mode);
  try {
    const input = await openNoFollow(src);
    for await (const chunk of input.createReadStream({ highWaterMark: 1024 * 1024, signal: opts.signal }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (size > MAX_ARTIFACT_BYTES) throw new FieldlinkError('BAD_REQUEST', `${src} grew past ${MAX_ARTIFACT_BYTES} bytes while being copied.`);
      if (opts.scanVersion) tail = scanVersions(tail, chunk, versions);
      await out.write(chunk);
      opts.onBytes?.(chunk.length);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return { sha256: hash.digest('hex'), size, versions };
}

/** Hashes a file without copying it (verify). */
export async function hashFile(file: string, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<string> {
  const hash = crypto.createHash('sha256');
  const input = await openNoFollow(file);
  for await (const chunk of input.createReadStream({ highWaterMark: 1024 * 1024, signal: opts.signal }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    opts.onBytes?.(chunk.length);
  }
  return hash.digest('hex');
}

/** Opens for reading without following a link swapped in after the lstat (the stream closes the handle). */
function openNoFollow(file: string): Promise<fs.promises.FileHandle> {
  return fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
}

/** Keeps the last few bytes of each chunk so a tag split across two chunks is still found. */
function scanVersions(tail: string, chunk: Buffer, found: Set<string>): string {
  const text = tail + chunk.toString('latin1');
  for (const m of text.matchAll(VERSION_IN_BINARY)) if (found.size < 16) found.add(m[0]);
  return text.slice(-24);
}

/** Writes a small file crash-safely: temp, fsync, rename, fsync the folder. */
export function writeFileDurable(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(path.dirname(file));
}

export function syncDir(dir: string): void {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

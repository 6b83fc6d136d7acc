import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { ExecOptions, ExecResult, TransferOptions } from '../shell.ts';
import { deadline, shq } from './cancel.ts';

/** What the SFTP helpers need from a connection, so they stay testable apart from the socket. */
export interface SftpHost {
  readonly target: string;
  readonly alive: boolean;
  openSftp(signal: AbortSignal): Promise<{ sftp: SFTPWrapper; release: () => void }>;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
}

const CHUNK = 32 * 1024;
// Enough requests in flight to fill a LAN link; sftp-server applies them in order, so a drop
// leaves a clean prefix that the next attempt can resume from.
const DEPTH = 16;
const MAX_GET_BYTES = 1024 * 1024 * 1024;
const DEFAULT_TIMEOUT = 30 * 60_000;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A partial upload's name: beside the target, the content's digest (so only the same bytes ever
 * resume it) and a random id of 16 hex digits, so nobody on the box can plant a link at it first.
 */
export function partialPath(remote: string, digest: string, id: string): string {
  return `${partialPrefix(remote, digest)}${id}.flpart`;
}

function partialPrefix(remote: string, digest: string): string {
  return path.posix.join(path.posix.dirname(remote), `.${path.posix.basename(remote)}.${digest.slice(0, 16)}.`);
}

/**
 * An earlier attempt's partial file of these bytes, if the box holds one Fieldlink can trust: a
 * regular file (not a symlink) owned by the login user, with a name of our shape. Found by a glob on
 * the box, which also sizes and hashes it in the same round trip.
 */
async function findPartial(host: SftpHost, remote: string, digest: string, signal: AbortSignal): Promise<{ id: string; size: number; sha256: string } | null> {
  const pre = shq(partialPrefix(remote, digest));
  const script =
    `for c in ${pre}*.flpart; do s=\${c#${pre}}; s=\${s%.flpart}; case $s in *[!0-9a-f]*|'') continue ;; esac; ` +
    `[ "\${#s}" -eq 16 ] && [ -f "$c" ] && [ ! -L "$c" ] && [ -O "$c" ] || continue; ` +
    `printf 'FLPART %s %s ' "$s" "$(wc -c <"$c")"; sha256sum <"$c"; break; done`;
  const r = await host.exec(script, { signal, timeoutMs: 10 * 60_000, maxOutputBytes: 4096 });
  const m = /^FLPART ([0-9a-f]{16}) +(\d+) ([0-9a-f]{64})\b/.exec(Buffer.from(r.stdout).toString('latin1').trim());
  return m ? { id: m[1]!, size: Number(m[2]), sha256: m[3]! } : null;
}

/**
 * An SFTP request can fail ("No response from server") a moment before the connection reports its
 * drop; give the link a second to say so, so a cut cable reads as LINK_DOWN, not a box failure.
 */
async function linkSettled(host: SftpHost, err: unknown): Promise<void> {
  if (err instanceof FieldlinkError || typeof (err as { code?: unknown })?.code === 'number') return;
  for (let i = 0; i < 20 && host.alive; i++) await new Promise((r) => setTimeout(r, 50));
}

function sftpError(host: SftpHost, err: unknown, what: string, remote: string): FieldlinkError {
  if (err instanceof FieldlinkError) return err;
  if (!host.alive)
    return new FieldlinkError('LINK_DOWN', `The connection to ${host.target} dropped during ${what}; run it again to resume.`, { target: host.target, path: remote });
  const e = err as { code?: number | string; message?: string };
  // Node's own errors carry a string code (ENOSPC, EACCES): the trouble is on this laptop.
  if (typeof e.code === 'string')
    return new FieldlinkError('STORAGE', `The ${what} could not be written on this computer: ${e.message ?? e.code}.`, { target: host.target, path: remote, errno: e.code });
  if (e.code === 2) return new FieldlinkError('NOT_FOUND', `${remote} does not exist on ${host.target}.`, { target: host.target, path: remote });
  if (e.code === 3) return new FieldlinkError('REMOTE_FAILED', `Permission denied for ${remote} on ${host.target}.`, { target: host.target, path: remote });
  return new FieldlinkError('REMOTE_FAILED', `${what} on ${host.target} failed: ${e.message ?? String(err)}.`, { target: host.target, path: remote });
}

function call<T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

/** sha256 of a file, computed on the box (`sha256sum` reads stdin so busybox and coreutils agree). */
export async function remoteSha256(host: SftpHost, remote: string, signal?: AbortSignal): Promise<string> {
  const r = await host.exec(`sha256sum < ${shq(remote)}`, { signal, timeoutMs: 10 * 60_000, maxOutputBytes: 4096 });
  const m = /^([0-9a-f]{64})\b/.exec(Buffer.from(r.stdout).toString('latin1'));
  if (r.code !== 0 || !m) {
    const why = Buffer.from(r.stderr).toString('utf8').slice(0, 200).trim();
    throw new FieldlinkError('REMOTE_FAILED', `Could not compute sha256 of ${remote} on ${host.target}${why ? `: ${why}` : ''}.`, { target: host.target, path: remote });
  }
  return m[1]!;
}

/**
 * Uploads atomically (partial file, fsync, sha256 on the box, chmod, rename over the target). After
 * a drop, the next put of the same bytes continues from the partial file once its prefix hash checks out.
 */
export async function sftpPut(host: SftpHost, remote: string, data: Uint8Array, mode = 0o644, opts: TransferOptions = {}): Promise<{ resumedFrom: number }> {
  const buf = asBuffer(data);
  const digest = sha256(buf);
  let part = partialPath(remote, digest, randomBytes(8).toString('hex'));
  const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT);
  const what = `upload of ${remote}`;
  let session: { sftp: SFTPWrapper; release: () => void } | undefined;
  let handle: Buffer | undefined;
  try {
    session = await host.openSftp(dl.signal);
    const { sftp } = session;
    let from = 0;
    const existing = await findPartial(host, remote, digest, dl.signal);
    if (existing) {
      const usable = existing.size > 0 && existing.size <= buf.length && existing.sha256 === sha256(buf.subarray(0, existing.size));
      if (usable) {
        part = partialPath(remote, digest, existing.id);
        from = existing.size;
      } else {
        // Ours, but not a prefix of these bytes: it can only be in the way.
        await call((cb) => sftp.unlink(partialPath(remote, digest, existing.id), cb as never)).catch(() => undefined);
      }
    }
    // A new partial is created exclusively (O_CREAT|O_EXCL): if anything, a symlink included, is
    // already at its random name, the open fails instead of writing through it.
    handle = await call<Buffer>((cb) => sftp.open(part, from > 0 ? 'r+' : 'wx', { mode: 0o600 }, cb));
    opts.onProgress?.(from, buf.length);
    await pipelinedWrite(sftp, handle, buf, from, dl.signal, (done) => opts.onProgress?.(done, buf.length));
    if ((sftp as unknown as { _extensions?: Record<string, string> })._extensions?.['fsync@openssh.com']) {
      await call((cb) => sftp.ext_openssh_fsync(handle!, cb as never));
    }
    await call((cb) => sftp.fchmod(handle!, mode, cb as never));
    await call((cb) => sftp.close(handle!, cb as never));
    handle = undefined;
    const theirs = await remoteSha256(host, part, dl.signal);
    if (theirs !== digest) {
      await call((cb) => sftp.unlink(part, cb as never)).catch(() => undefined);
      throw new FieldlinkError(
        'REMOTE_FAILED',
        `The copy of ${remote} on ${host.target} does not match what was sent (sha256 ${theirs.slice(0, 12)}… vs ${digest.slice(0, 12)}…); it was discarded.`,
        { target: host.target, path: remote },
      );
    }
    const hasPosixRename = Boolean((sftp as unknown as { _extensions?: Record<string, string> })._extensions?.['posix-rename@openssh.com']);
    if (hasPosixRename) {
      await call((cb) => sftp.ext_openssh_rename(part, remote, cb as never));
    } else {
      const r = await host.exec(`mv -f ${shq(part)} ${shq(remote)}`, { signal: dl.signal, timeoutMs: 60_000 });
      if (r.code !== 0) throw new FieldlinkError('REMOTE_FAILED', `Could not move the upload into place at ${remote} on ${host.target}.`, { target: host.target, path: remote });
    }
    return { resumedFrom: from };
  } catch (err) {
    if (dl.signal.aborted && !(err instanceof FieldlinkError && err.code === 'LINK_DOWN')) throw dl.error(what);
    await linkSettled(host, err);
    throw sftpError(host, err, what, remote);
  } finally {
    if (handle && session && host.alive) session.sftp.close(handle, () => undefined);
    session?.release();
    dl.dispose();
  }
}

/**
 * Keeps up to DEPTH chunk requests in flight over [from, size). `request` issues one chunk and
 * calls back with an error or nothing; progress counts finished bytes. The first error or an
 * abort ends it; replies after that are ignored.
 */
function pipelined(
  size: number,
  from: number,
  signal: AbortSignal,
  request: (pos: number, len: number, done: (err?: unknown) => void) => void,
  progress: (done: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = from;
    let done = from;
    let inflight = 0;
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => end(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    const pump = () => {
      while (!ended && inflight < DEPTH && next < size) {
        const pos = next;
        const len = Math.min(CHUNK, size - pos);
        next += len;
        inflight++;
        request(pos, len, (err) => {
          inflight--;
          if (ended) return;
          if (err) return end(err);
          done += len;
          progress(done);
          if (done === size) end();
          else pump();
        });
      }
    };
    if (from >= size) end();
    else pump();
  });
}

function pipelinedWrite(sftp: SFTPWrapper, handle: Buffer, buf: Buffer, from: number, signal: AbortSignal, progress: (done: number) => void): Promise<void> {
  return pipelined(buf.length, from, signal, (pos, len, done) => sftp.write(handle, buf, pos, len, pos, (err) => done(err ?? undefined)), progress);
}

function pipelinedRead(
  sftp: SFTPWrapper,
  handle: Buffer,
  size: number,
  from: number,
  signal: AbortSignal,
  sink: (pos: number, chunk: Buffer) => void,
  progress: (done: number) => void,
): Promise<void> {
  // Replies may complete out of order; hand them to the sink in file order.
  const pending = new Map<number, Buffer>();
  let written = from;
  return pipelined(
    size,
    from,
    signal,
    (pos, len, done) => {
      const chunk = Buffer.allocUnsafe(len);
      sftp.read(handle, chunk, 0, len, pos, (err, n) => {
        if (err) return done(err);
        if (n !== len) return done(new FieldlinkError('REMOTE_FAILED', 'The file on the box got shorter while it was being read.'));
        pending.set(pos, chunk);
        try {
          for (let c = pending.get(written); c; c = pending.get(written)) {
            pending.delete(written);
            sink(written, c);
            written += c.length;
          }
        } catch (sinkErr) {
          // A full local disk: end the transfer with that error rather than throw inside ssh2.
          return done(sinkErr);
        }
        done();
      });
    },
    progress,
  );
}

/** Reads a whole file into memory, verified against sha256 computed on the box. */
export async function sftpGet(host: SftpHost, remote: string, opts: TransferOptions = {}): Promise<Uint8Array> {
  const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT);
  const what = `download of ${remote}`;
  let session: { sftp: SFTPWrapper; release: () => void } | undefined;
  let handle: Buffer | undefined;
  try {
    session = await host.openSftp(dl.signal);
    const { sftp } = session;
    handle = await call<Buffer>((cb) => sftp.open(remote, 'r', cb));
    const st = await call<{ size: number }>((cb) => sftp.fstat(handle!, cb));
    if (st.size > MAX_GET_BYTES) {
      throw new FieldlinkError('REMOTE_FAILED', `${remote} is ${st.size} bytes, too large to read into memory; use getToFile.`, {
        target: host.target,
        path: remote,
        size: st.size,
      });
    }
    const out = Buffer.allocUnsafe(st.size);
    opts.onProgress?.(0, st.size);
    await pipelinedRead(
      sftp,
      handle,
      st.size,
      0,
      dl.signal,
      (pos, c) => c.copy(out, pos),
      (d) => opts.onProgress?.(d, st.size),
    );
    await call((cb) => sftp.close(handle!, cb as never));
    handle = undefined;
    const theirs = await remoteSha256(host, remote, dl.signal);
    if (theirs !== sha256(out)) {
      throw new FieldlinkError('REMOTE_FAILED', `${remote} changed on ${host.target} while it was being read (sha256 differs); try again.`, { target: host.target, path: remote });
    }
    return out;
  } catch (err) {
    if (dl.signal.aborted && !(err instanceof FieldlinkError && err.code === 'LINK_DOWN')) throw dl.error(what);
    await linkSettled(host, err);
    throw sftpError(host, err, what, remote);
  } finally {
    if (handle && session && host.alive) session.sftp.close(handle, () => undefined);
    session?.release();
    dl.dispose();
  }
}

/**
 * Downloads to a local file, resumable: bytes land in `<local>.flpart` (fsynced), a later call
 * continues from its size, and the whole is checked against sha256 on the box before the rename.
 */
export async function sftpGetToFile(host: SftpHost, remote: string, local: string, opts: TransferOptions = {}): Promise<{ resumedFrom: number; size: number; sha256: string }> {
  const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT);
  const what = `download of ${remote}`;
  const part = `${local}.flpart`;
  let session: { sftp: SFTPWrapper; release: () => void } | undefined;
  let handle: Buffer | undefined;
  let fd: number | undefined;
  try {
    session = await host.openSftp(dl.signal);
    const { sftp } = session;
    handle = await call<Buffer>((cb) => sftp.open(remote, 'r', cb));
    const st = await call<{ size: number }>((cb) => sftp.fstat(handle!, cb));
    let from = 0;
    try {
      from = fs.statSync(part).size;
    } catch {
      from = 0;
    }
    if (from > st.size) from = 0;
    fd = fs.openSync(part, from > 0 ? 'r+' : 'w', 0o600);
    if (from === 0) fs.ftruncateSync(fd, 0);
    const fdNow = fd;
    opts.onProgress?.(from, st.size);
    await pipelinedRead(
      sftp,
      handle,
      st.size,
      from,
      dl.signal,
      (pos, c) => fs.writeSync(fdNow, c, 0, c.length, pos),
      (d) => opts.onProgress?.(d, st.size),
    );
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    await call((cb) => sftp.close(handle!, cb as never));
    handle = undefined;
    const theirs = await remoteSha256(host, remote, dl.signal);
    const ours = createHash('sha256').update(fs.readFileSync(part)).digest('hex');
    if (theirs !== ours) {
      fs.rmSync(part, { force: true });
      throw new FieldlinkError(
        'REMOTE_FAILED',
        `The download of ${remote} does not match the file on ${host.target} (it changed, or the partial copy was stale); it was discarded, try again.`,
        { target: host.target, path: remote },
      );
    }
    fs.renameSync(part, local);
    return { resumedFrom: from, size: st.size, sha256: ours };
  } catch (err) {
    if (dl.signal.aborted && !(err instanceof FieldlinkError && err.code === 'LINK_DOWN')) throw dl.error(what);
    await linkSettled(host, err);
    throw sftpError(host, err, what, remote);
  } finally {
    if (fd !== undefined) {
      try {
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      } catch {
        // The partial file is only a resume hint; its prefix is re-verified by the final hash.
      }
    }
    if (handle && session && host.alive) session.sftp.close(handle, () => undefined);
    session?.release();
    dl.dispose();
  }
}

import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import { Base64Stream, FrameReader, newNonce, type FrameEvent } from './frames.ts';
import type { SerialLink } from './link.ts';
import {
  PART_ID,
  partStateScript,
  receiveScript,
  RECEIVE_DONE,
  RECEIVE_HASH_MISMATCH,
  RECEIVE_NO_STTY,
  RECEIVE_PARTIAL,
  RECEIVE_RENAME_FAILED,
  endTokenKeys,
  sendFileScript,
  statScript,
  typed,
  type UploadMode,
} from './scripts.ts';

/*
 * File transfer over the console. Upload (technician → box) sends raw bytes with the box's tty in
 * raw mode: the lab's console noise and a real kernel's printk only ever travel box → technician,
 * so nothing can be mixed into the uploaded bytes, and the per-chunk sha256 catches what a real line
 * garbles. Download (box → technician) crosses the noisy direction, so it comes as base64 between
 * markers, where a kernel line can be cut out without losing a byte.
 */

export const CHUNK = 16 * 1024;
/** Chunks sent ahead of the box's acknowledgement: keeps the line busy while the box checks one. */
const WINDOW = 2;
/** A run of bad chunks in raw mode means the line is not 8-bit clean: fall back to base64. */
const RAW_FAILURES_BEFORE_BASE64 = 2;
const MAX_FAILURES = 8;
export const MAX_GET_BYTES = 64 * 1024 * 1024;

/**
 * Uploads cut off with the box still reading (a pulled cable), by console: the box drains until it
 * sees the end token, so whoever opens that console next sends it first instead of waiting out the
 * box's bound.
 */
const pendingEndKeys = new Map<string, string>();

export function takePendingEndKeys(target: string): string | undefined {
  const keys = pendingEndKeys.get(target);
  pendingEndKeys.delete(target);
  return keys;
}

/** What a shell learns about its box across transfers. */
export interface TransferState {
  rawBroken: boolean;
  hasTimeout: boolean | null;
}

interface Context {
  link: SerialLink;
  state: TransferState;
  deadline: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  log?: Logger;
  /** Gets the box back to a clean prompt after an exchange went wrong. */
  recover: () => Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Types `script` and feeds every event to `onEvent` until it returns a value. Starts from an empty
 * receive queue: whatever the console said before the script was sent cannot be an answer to it.
 */
async function exchange<T>(ctx: Context, nonce: string, script: string, onEvent: (ev: FrameEvent) => T | undefined, what: string): Promise<T> {
  const frames = new FrameReader(nonce);
  ctx.link.rx.clear();
  await ctx.link.write(typed(script));
  for (;;) {
    const text = await ctx.link.rx.read(ctx.deadline, ctx.signal, what);
    for (const ev of frames.feed(text)) {
      const r = onEvent(ev);
      if (r !== undefined) return r;
    }
  }
}

function marker(ev: FrameEvent, tag: string): string[] | undefined {
  return ev.kind === 'marker' && ev.tag === tag ? ev.fields : undefined;
}

/**
 * Where an upload's part files live: beside the target (so the final mv is a rename on one file
 * system), named for the content so only the same bytes resume one, with a random tail the box adds.
 */
export function partPrefix(target: string, sha256hex: string): string {
  return path.posix.join(path.posix.dirname(target), `.${path.posix.basename(target)}.fl-${sha256hex.slice(0, 16)}.part.`);
}

export async function putFile(ctx: Context & { path: string; data: Uint8Array; mode: number }): Promise<void> {
  const { link, data } = ctx;
  const size = data.byteLength;
  const total = sha256(data);
  const prefix = partPrefix(ctx.path, total);
  // Found or made by the box on each attempt (partStateScript): never a name someone could plant first.
  let part = '';
  const count = Math.ceil(size / CHUNK);
  const last = count === 0 ? 0 : size - (count - 1) * CHUNK;
  const rate = link.baud / 10;
  let uploadMode: UploadMode = ctx.state.rawBroken ? 'base64' : 'raw';
  let failures = 0;
  let rawFailures = 0;
  // Grows when chunks arrive short: a slow or stalling line needs longer, not another encoding.
  let patience = 1;

  for (;;) {
    // Where the box stands: a part file from an earlier attempt (a pulled cable) is continued if its
    // bytes are a prefix of ours, else started again.
    let n = newNonce();
    const fresh = randomBytes(8).toString('hex');
    const [haveText, prefixHash, tm, id = ''] = await exchange(ctx, n, partStateScript(n, prefix, fresh, CHUNK), (ev) => marker(ev, 'P'), 'the box to check the upload');
    ctx.state.hasTimeout = tm === '1';
    if (haveText === '-') {
      throw new FieldlinkError('REMOTE_FAILED', `Cannot create a file in ${path.posix.dirname(ctx.path)} on the box (a folder missing, read-only, full, or no permission).`, {
        path: ctx.path,
      });
    }
    if (!PART_ID.test(id)) throw new FieldlinkError('PROTOCOL', "The box named the upload's part file in a way Fieldlink did not ask for.");
    part = prefix + id;
    let have = Number(haveText);
    if (!Number.isSafeInteger(have) || have < 0 || have > size || (have > 0 && prefixHash !== sha256(data.subarray(0, have)))) {
      n = newNonce();
      await exchange(ctx, n, `: 2>/dev/null >|${shq(part)}; printf ':FLP${n};\\n'`, (ev) => marker(ev, 'P'), 'the box to reset the upload');
      have = 0;
    }
    if (have > 0) ctx.log?.info({ have, size }, 'serial upload resumes from what the box already holds');
    const first = have / CHUNK;
    ctx.onProgress?.(have, size);

    const outcome = await session(first, uploadMode).catch(async (err: unknown) => {
      if (err instanceof FieldlinkError && err.code === 'PROTOCOL') {
        await ctx.recover();
        return { r: RECEIVE_PARTIAL, bytes: -1, short: false };
      }
      throw err;
    });
    if (outcome.r === RECEIVE_DONE) {
      ctx.onProgress?.(size, size);
      return;
    }
    if (outcome.r === RECEIVE_RENAME_FAILED) {
      throw new FieldlinkError('REMOTE_FAILED', `The file arrived but could not be moved to ${ctx.path} on the box (permissions, or a folder missing?).`);
    }
    if (outcome.r === RECEIVE_NO_STTY && uploadMode === 'base64') {
      throw new FieldlinkError('REMOTE_FAILED', 'The box cannot set its console mode (stty failed); upload over the LAN instead.');
    }
    failures += 1;
    if (outcome.short) {
      patience = Math.min(8, patience * 2);
      ctx.log?.warn({ patience }, 'serial upload chunk arrived short (line slow or stalled); waiting longer per chunk');
    } else if (uploadMode === 'raw' && (outcome.r === RECEIVE_NO_STTY || ++rawFailures >= RAW_FAILURES_BEFORE_BASE64)) {
      ctx.log?.warn({ rawFailures }, 'raw serial upload keeps failing its checksums: falling back to base64');
      uploadMode = 'base64';
      ctx.state.rawBroken = true;
    }
    if (failures >= MAX_FAILURES) {
      throw new FieldlinkError(
        'PROTOCOL',
        patience > 1
          ? `The upload to ${ctx.path} keeps stalling: chunks do not arrive in full. Check the cable and baud rate, or use the LAN.`
          : `The upload to ${ctx.path} keeps failing its checksums: the serial line is corrupting data. Check the cable and baud rate.`,
      );
    }
    if (outcome.r === RECEIVE_HASH_MISMATCH) ctx.log?.warn('uploaded file failed its final sha256; starting again');
  }

  async function session(first: number, mode: UploadMode): Promise<{ r: string; bytes: number; short: boolean }> {
    const nonce = newNonce();
    const encodedChunk = mode === 'raw' ? CHUNK + 64 : Math.ceil(CHUNK / 3) * 4 + 64;
    const chunkTimeoutS = Math.ceil(((3 * encodedChunk) / rate + 5) * patience);
    const drainTimeoutS = Math.ceil((((WINDOW + 1) * encodedChunk) / rate + 30) * patience);
    const script = receiveScript({
      nonce,
      part,
      target: ctx.path,
      mode: ctx.mode,
      first,
      count,
      chunk: CHUNK,
      last,
      sha256: total,
      chunkTimeoutS,
      drainTimeoutS,
      uploadMode: mode,
    });
    const frames = new FrameReader(nonce);
    link.rx.clear();
    await link.write(typed(script));
    let ready = false;
    let acked = first;
    let sent = first;
    let stopped = false;
    let short = false;
    let tokenSent = false;
    // After a failure the box reads until this token, so nothing we sent can reach its shell later.
    const sendEndToken = async () => {
      if (tokenSent || !ready) return;
      tokenSent = true;
      await link.write(endTokenKeys(nonce));
    };
    const target = link.identity.target;
    pendingEndKeys.set(target, endTokenKeys(nonce));
    try {
      const outcome = await stream();
      pendingEndKeys.delete(target);
      return outcome;
    } catch (err) {
      if (!(err instanceof FieldlinkError) || err.code !== 'LINK_DOWN') {
        await sendEndToken().catch(() => undefined);
        pendingEndKeys.delete(target);
      }
      throw err;
    }

    async function stream(): Promise<{ r: string; bytes: number; short: boolean }> {
      for (;;) {
        while (ready && !stopped && sent < count && sent - acked < WINDOW) {
          if (ctx.signal?.aborted) throw new FieldlinkError('ABORTED', 'Cancelled.');
          if (Date.now() > ctx.deadline) throw new FieldlinkError('TIMEOUT', `Timed out uploading ${ctx.path} over the serial console.`);
          await link.write(frameChunk(data.subarray(sent * CHUNK, Math.min(size, (sent + 1) * CHUNK)), mode));
          sent += 1;
        }
        const text = await link.rx.read(ctx.deadline, ctx.signal, 'the box to take the upload');
        for (const ev of frames.feed(text)) {
          if (ev.kind !== 'marker') throw new FieldlinkError('PROTOCOL', 'The box printed data in the middle of an upload.');
          const i = Number(ev.fields[0]);
          if (ev.tag === 'R') ready = true;
          else if (ev.tag === 'K' && i === acked) {
            acked += 1;
            ctx.onProgress?.(Math.min(size, acked * CHUNK), size);
          } else if (ev.tag === 'B') {
            stopped = true;
            const got = Number(ev.fields[1]);
            const header = Number(ev.fields[2]);
            const expected = i === count - 1 ? last : CHUNK;
            // A header cut short by a stall shifts the chunk: it reads full length but wrong.
            short = (Number.isFinite(got) && got < expected) || (Number.isFinite(header) && header < 64);
            ctx.log?.warn({ chunk: i, mode, got, expected }, 'serial upload chunk failed its checksum');
            await sendEndToken();
          } else if (ev.tag === 'Z') return { r: ev.fields[0] ?? '', bytes: Number(ev.fields[1]), short };
          else throw new FieldlinkError('PROTOCOL', 'The box acknowledged a chunk out of order during an upload.');
        }
      }
    }
  }
}

function frameChunk(chunk: Uint8Array, mode: UploadMode): Buffer {
  const header = Buffer.from(sha256(chunk), 'latin1');
  return Buffer.concat([header, mode === 'raw' ? Buffer.from(chunk) : Buffer.from(Buffer.from(chunk).toString('base64'), 'latin1')]);
}

export async function getFile(ctx: Context & { path: string }): Promise<Uint8Array> {
  let n = newNonce();
  const [r, sizeText, total] = await exchange(ctx, n, statScript(n, ctx.path), (ev) => marker(ev, 'F'), 'the box to find the file');
  if (r === '1') throw new FieldlinkError('NOT_FOUND', `There is no file ${ctx.path} on the box.`);
  if (r !== '0') throw new FieldlinkError('REMOTE_FAILED', `${ctx.path} on the box is not a regular file Fieldlink can read.`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size) || size < 0 || !/^[0-9a-f]{64}$/.test(total ?? '')) {
    throw new FieldlinkError('PROTOCOL', 'The box answered with an unreadable size or checksum.');
  }
  if (size > MAX_GET_BYTES) {
    throw new FieldlinkError('BAD_REQUEST', `${ctx.path} is ${size} bytes: too large to fetch over the serial console (limit ${MAX_GET_BYTES}). Use the LAN.`);
  }
  const count = Math.ceil(size / CHUNK);
  const chunks: Buffer[] = [];
  let failures = 0;
  ctx.onProgress?.(0, size);
  while (chunks.length < count || count === 0) {
    n = newNonce();
    const from = chunks.length;
    let current: { index: number; parts: Buffer[]; stream: Base64Stream } | null = null;
    let bad = false;
    try {
      await exchange(
        ctx,
        n,
        sendFileScript(n, ctx.path, CHUNK, from, count),
        (ev) => {
          if (ev.kind === 'data') {
            if (!current) throw new FieldlinkError('PROTOCOL', 'File data arrived outside a chunk.');
            current.stream.push(ev.b64);
            return undefined;
          }
          if (ev.tag === 'C') {
            const parts: Buffer[] = [];
            current = { index: Number(ev.fields[0]), parts, stream: new Base64Stream((b) => parts.push(Buffer.from(b))) };
          } else if (ev.tag === 'H') {
            if (!current || Number(ev.fields[0]) !== current.index || current.index !== chunks.length) {
              throw new FieldlinkError('PROTOCOL', 'A file chunk arrived out of order.');
            }
            current.stream.end();
            const bytes = Buffer.concat(current.parts);
            if (sha256(bytes) !== ev.fields[1]) throw new FieldlinkError('PROTOCOL', `Chunk ${current.index} of ${ctx.path} failed its checksum.`);
            chunks.push(bytes);
            ctx.onProgress?.(Math.min(size, chunks.length * CHUNK), size);
            current = null;
          } else if (ev.tag === 'E') return true;
          return undefined;
        },
        'the file',
      );
    } catch (err) {
      if (!(err instanceof FieldlinkError) || err.code !== 'PROTOCOL') throw err;
      bad = true;
      ctx.log?.warn({ chunk: chunks.length }, 'serial download chunk was garbled; asking again from there');
    }
    if (bad) {
      if (++failures >= MAX_FAILURES) {
        throw new FieldlinkError('PROTOCOL', `Reading ${ctx.path} keeps failing its checksums: the serial line is corrupting data.`);
      }
      await ctx.recover();
      continue;
    }
    if (count === 0) break;
  }
  const whole = Buffer.concat(chunks);
  if (whole.byteLength !== size || sha256(whole) !== total) {
    throw new FieldlinkError('REMOTE_FAILED', `${ctx.path} changed on the box while it was being read (sha256 differs). Try again.`);
  }
  return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

import { randomBytes } from 'node:crypto';
import { FieldlinkError } from '../../../../shared/errors.ts';

/*
 * The framed protocol, box to technician. Everything the box prints for us is either a marker
 * `:FL<TAG><nonce>[,field…];` or base64. Neither contains a character the other uses, kernel lines
 * are already removed, and line ends mean nothing (they are dropped), so a marker split by a kernel
 * message or a wrapped line is still read whole. The nonce is fresh per exchange: output left over
 * from an earlier, interrupted command can never be taken for this one's.
 */

export type FrameEvent = { kind: 'data'; b64: string } | { kind: 'marker'; tag: string; fields: string[] };

const MARKER = /^:FL([A-Z])([0-9a-f]{12})((?:,[0-9a-f-]{0,128})*);/;
const MARKER_PREFIX = /^:(?:F(?:L(?:[A-Z][0-9a-f,-]{0,400})?)?)?$/;
const BASE64 = /^[A-Za-z0-9+/=]*$/;

export function newNonce(): string {
  return randomBytes(6).toString('hex');
}

/** The shell text that prints one marker (inside scripts we send base64-encoded, so no echo can match). */
export function markerPrintf(tag: string, nonce: string, fieldExprs: string[] = []): string {
  const fmt = `:FL${tag}${nonce}${fieldExprs.map(() => ',%s').join('')};\\n`;
  return `printf '${fmt}'${fieldExprs.map((f) => ` ${f}`).join('')}`;
}

/** Markers that end an exchange: whatever the console prints after them (the prompt) is not ours. */
const END_TAGS = new Set(['E', 'Z', 'Y', 'P', 'F']);

export class FrameReader {
  readonly nonce: string;
  #carry = '';
  #started = false;
  #ended = false;

  constructor(nonce: string) {
    this.nonce = nonce;
  }

  get started(): boolean {
    return this.#started;
  }

  feed(text: string): FrameEvent[] {
    const out: FrameEvent[] = [];
    if (this.#ended) return out;
    let s = this.#carry + text.replace(/[\r\n]/g, '');
    this.#carry = '';
    for (;;) {
      const at = s.indexOf(':');
      const before = at < 0 ? s : s.slice(0, at);
      if (before.length > 0 && this.#started) {
        if (!BASE64.test(before)) throw garbage(before);
        out.push({ kind: 'data', b64: before });
      }
      if (at < 0) return out;
      s = s.slice(at);
      const m = MARKER.exec(s);
      if (m) {
        s = s.slice(m[0].length);
        if (m[2] !== this.nonce) {
          if (this.#started) throw garbage(m[0]);
          continue;
        }
        this.#started = true;
        if (m[1] === 'N') {
          this.#ended = true;
          throw noScratchFolder();
        }
        out.push({ kind: 'marker', tag: m[1]!, fields: m[3] ? m[3].slice(1).split(',') : [] });
        if (END_TAGS.has(m[1]!)) {
          this.#ended = true;
          return out;
        }
        continue;
      }
      if (MARKER_PREFIX.test(s)) {
        this.#carry = s;
        return out;
      }
      if (this.#started) throw garbage(s);
      s = s.slice(1);
    }
  }
}

/** What the box's N marker means: its scripts found no private scratch folder (see scripts.ts). */
export function noScratchFolder(): FieldlinkError {
  return new FieldlinkError(
    'REMOTE_FAILED',
    'The box could not make a private scratch folder (mktemp is missing, or /tmp is full or read-only). Fieldlink does not fall back to fixed file names in a shared folder; install mktemp (coreutils or busybox) on the box, or use the LAN.',
    { needs: 'mktemp' },
  );
}

function garbage(text: string): FieldlinkError {
  const shown = text.slice(0, 60).replace(/[^\x20-\x7e]/g, '.');
  return new FieldlinkError(
    'PROTOCOL',
    'The serial console printed something in the middle of a command that is neither its output nor kernel noise; the result cannot be trusted. Try again; if it repeats, another program is writing to the console.',
    { sample: shown },
  );
}

/** Base64 arriving in arbitrary pieces, decoded as whole quads. */
export class Base64Stream {
  #rest = '';
  #sink: (bytes: Uint8Array) => void;
  constructor(sink: (bytes: Uint8Array) => void) {
    this.#sink = sink;
  }
  push(b64: string): void {
    const s = this.#rest + b64;
    const whole = s.length - (s.length % 4);
    this.#rest = s.slice(whole);
    if (whole > 0) this.#sink(Buffer.from(s.slice(0, whole), 'base64'));
  }
  end(): void {
    if (this.#rest.length > 0) {
      throw new FieldlinkError('PROTOCOL', 'The box sent base64 that ends mid-quad: the console lost bytes.');
    }
  }
}

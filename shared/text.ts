/**
 * The one sanitiser for box-supplied text (hostnames, TXT records, pod names, log lines, console
 * output, error messages that quote them). Everything a box says is untrusted; outside the terminal
 * view (xterm, which is meant to interpret escapes) it is shown only after this, by the UI and the
 * command line alike, so it can neither move a cursor, retitle a window, hide a link, reorder what
 * follows it, nor push a table sideways.
 *
 * One set of rules, applied in this order:
 *  1. Terminal escape sequences go whole: CSI (`ESC [ … final`: colours, cursor, erase), OSC
 *     (`ESC ] … BEL|ST`: titles, OSC 8 hyperlinks), DCS/SOS/PM/APC strings, other `ESC x` and
 *     `ESC ( B`-style escapes, and the same introduced by 8-bit C1 bytes (CSI U+009B, OSC U+009D…).
 *     A string sequence that never ends stops at the end of its line.
 *  2. Line breaks: single-line text turns each run of CR, LF, tab, VT, FF, NEL and U+2028/9 into one
 *     space; multiline text keeps LF and tab, makes CRLF, NEL and U+2028/9 an LF, and drops lone CRs.
 *  3. Every other C0 and C1 control and DEL goes, and so do the invisible characters used to spoof
 *     text: bidi embeddings, overrides, isolates and marks, zero-width spaces and joiners, word
 *     joiner, BOM, soft hyphen, Hangul fillers, tag characters.
 *  4. What is left of a CSI whose ESC was removed before we saw it ("[31m", "[0;1m", "[?2004h",
 *     "[2J", "[K", "[12;1H") goes too: that is how colour codes leak through tools that strip
 *     control bytes alone.
 *  5. The length is bounded: longer text is cut and ends with "…" (never inside a surrogate pair).
 */

/** Default bound for one line of box text on screen (table cells, titles). */
export const MAX_SHOWN = 200;
/** Default bound for multiline box text (error details, console excerpts). */
export const MAX_LINES_SHOWN = 4000;

// Matching control characters is the point of this file.
/* eslint-disable no-control-regex */

// 7-bit: ESC-introduced. String sequences (OSC, DCS, SOS, PM, APC) end at BEL or ST (ESC \ or U+009C).
const CSI7 = String.raw`\x1b\[[0-?]*[ -/]*[@-~]`;
const STRING7 = String.raw`\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?`;
const OTHER7 = String.raw`\x1b[ -/]*[0-~]`;
// 8-bit: the same introduced by one C1 byte.
const CSI8 = String.raw`\x9b[0-?]*[ -/]*[@-~]`;
const STRING8 = String.raw`[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?`;
const ESCAPES = new RegExp(`${STRING7}|${CSI7}|${OTHER7}|${STRING8}|${CSI8}`, 'g');

/**
 * The protocol variant: 7-bit only, and a CSI or string sequence only once it is complete: an
 * introducer at the end of a chunk waits for the rest (see stripEscapeSequences).
 */
const PROTOCOL_ESCAPES = new RegExp(`${String.raw`\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)`}|${CSI7}|${String.raw`\x1b(?![\[\]PX^_])[ -/]*[0-~]`}`, 'g');

const LINE_RUN = /[\t\n\v\f\r\x85\u2028\u2029]+/g;
const CONTROLS_SINGLE = /[\x00-\x1f\x7f-\x9f]/g;
const CONTROLS_MULTI = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const INVISIBLE =
  /[\u00ad\u061c\u115f\u1160\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]|\u034f|\u17b4|\u17b5|\u180b|\u180c|\u180d|\u180e|\u180f/gu;
// ESC-less CSI remnants: SGR, private modes, erase, cursor moves with a position. Not followed by
// "]" so that text such as "[2K]" is left alone.
const REMNANTS = /\[(?:\d{1,3}(?:;\d{1,3}){0,15}m|\?\d{1,4}(?:;\d{1,4}){0,3}[hl]|[012]?[JK]|\d{1,3}(?:;\d{1,3})?[ABCDGHf])(?!\])/g;

/* eslint-enable no-control-regex */

export interface SanitizeOptions {
  /** Keep line breaks and tabs (default: one line). */
  multiline?: boolean;
  /** At most this many characters, "…" included (default MAX_SHOWN, or MAX_LINES_SHOWN when multiline). */
  max?: number;
}

/** Box-supplied text made safe to show outside the terminal view (see the rules above). */
export function sanitize(value: string | null | undefined, opts: SanitizeOptions = {}): string {
  if (value === null || value === undefined) return '';
  const multiline = opts.multiline ?? false;
  const max = opts.max ?? (multiline ? MAX_LINES_SHOWN : MAX_SHOWN);
  let s = String(value).replace(ESCAPES, '');
  s = multiline ? s.replace(/\r\n|[\x85\u2028\u2029]/g, '\n') : s.replace(LINE_RUN, ' ');
  s = s.replace(multiline ? CONTROLS_MULTI : CONTROLS_SINGLE, '').replace(INVISIBLE, '');
  s = s.replace(REMNANTS, '');
  return bound(s, max);
}

/** One line of box text (a hostname, a pod name, a table cell): `sanitize` on one line. */
export function safeText(value: string | null | undefined, max = MAX_SHOWN): string {
  return sanitize(value, { max });
}

/** Box text that keeps its lines (a log excerpt, an error detail): `sanitize` with line breaks kept. */
export function safeLines(value: string | null | undefined, max = MAX_LINES_SHOWN): string {
  return sanitize(value, { multiline: true, max });
}

/**
 * Removes 7-bit escape sequences and nothing else, for text a parser reads rather than a person
 * (the serial console receiver: bytes as latin1, where 0x80–0x9F are pieces of UTF-8, not C1
 * controls, and where a chunk can end inside a title string that the next chunk completes, so an
 * unterminated string sequence is left for later). Anything shown goes through `sanitize`.
 */
export function stripEscapeSequences(text: string): string {
  return text.replace(PROTOCOL_ESCAPES, '');
}

function bound(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max < 1) return '';
  let cut = Math.floor(max) - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

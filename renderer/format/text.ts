/**
 * Box-supplied text (hostnames, models, TXT records, audit details that quote them) is untrusted.
 * React already renders it as text, never markup; this also stops it from spoofing the screen:
 * control characters and bidi overrides become visible, and the length is bounded so one silly
 * hostname cannot push the whole table sideways.
 */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

export const MAX_SHOWN = 200;

export function safeText(value: string | null | undefined, max = MAX_SHOWN): string {
  if (value === null || value === undefined) return '';
  const s = String(value).replace(/[\r\n\t]+/g, ' ').replace(INVISIBLE, '\uFFFD');
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

import type { SegmentRow } from './segments.ts';

/**
 * The tus upload metadata the collector expects for a segment (collector/metadata.ts): printable
 * ASCII, bounded, no `/`, `\` or `..` in any value. Box ids and sources (file paths) are
 * percent-encoded to fit, reversibly; the collector shows them as sent.
 */
export interface UploadMeta {
  sha256: string;
  box: string;
  source: string;
  from: string;
  to: string;
  filename: string;
  range: string;
}

/** Percent-encodes everything but [A-Za-z0-9_:@=+,-] (so `/`, `\`, `.` and `%` never appear raw). */
export const encodeMetaValue = (s: string): string =>
  Buffer.from(s, 'utf8').reduce(
    (out, b) => out + (/[A-Za-z0-9_:@=+,-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`),
    '',
  );
export const decodeMetaValue = (s: string): string => decodeURIComponent(s);

/** Cut to `max` without splitting a %XX escape; a cut value ends in %7E (~). */
function bounded(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 3;
  if (s[cut - 1] === '%') cut -= 1;
  else if (s[cut - 2] === '%') cut -= 2;
  return `${s.slice(0, cut)}%7E`;
}

export function uploadMetaOf(seg: SegmentRow): UploadMeta {
  return {
    sha256: seg.hash,
    box: bounded(encodeMetaValue(seg.boxId), 128),
    source: bounded(encodeMetaValue(seg.source), 256),
    from: seg.timeFrom,
    to: seg.timeTo,
    filename: `${seg.hash}.zst`,
    range: bounded(encodeMetaValue(`${seg.rangeFrom} to ${seg.rangeTo}`), 512),
  };
}

/**
 * Upload metadata, checked strictly before anything is written. Every value is printable ASCII,
 * bounded, and holds no path separator and no `..`: nothing from the client ever names a file (the
 * upload id is the server's, the segment's name is its verified hash).
 */
export interface SegmentMeta {
  sha256: string;
  box: string;
  source: string;
  /** ISO 8601 times the segment's lines cover. */
  from: string;
  to: string;
  filename?: string;
  /** Free-form source position (journald cursor, inode:offset…), for people reading receipts. */
  range?: string;
}

export class MetadataError extends Error {}

const MAX: Record<keyof SegmentMeta, number> = { sha256: 64, box: 128, source: 256, from: 40, to: 40, filename: 255, range: 512 };
const REQUIRED = ['sha256', 'box', 'source', 'from', 'to'] as const;
export const SHA256_RE = /^[0-9a-f]{64}$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a tus Upload-Metadata header (`key base64,key base64`) without trusting it. */
export function parseUploadMetadata(header: string | null | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!header) return out;
  if (header.length > 4096) throw new MetadataError('Upload-Metadata is too long (at most 4096 characters).');
  for (const pair of header.split(',')) {
    const parts = pair.trim().split(' ');
    const key = parts[0] ?? '';
    if (parts.length > 2 || !/^[a-z0-9_-]{1,32}$/i.test(key)) throw new MetadataError('Upload-Metadata is malformed: expected "key base64" pairs.');
    if (Object.hasOwn(out, key)) throw new MetadataError(`Upload-Metadata names ${key} twice.`);
    const v = parts[1];
    if (v === undefined) {
      out[key] = null;
      continue;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new MetadataError(`Upload-Metadata value for ${key} is not base64.`);
    const bytes = Buffer.from(v, 'base64');
    const s = bytes.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(bytes)) throw new MetadataError(`Upload-Metadata value for ${key} is not UTF-8.`);
    out[key] = s;
  }
  return out;
}

export function validateSegmentMeta(md: Record<string, string | null | undefined> | undefined): SegmentMeta {
  const m = md ?? {};
  for (const key of Object.keys(m)) {
    if (!Object.hasOwn(MAX, key)) throw new MetadataError(`Unknown upload metadata "${key.slice(0, 32)}": allowed are ${Object.keys(MAX).join(', ')}.`);
  }
  for (const key of REQUIRED) if (m[key] === undefined || m[key] === null || m[key] === '') throw new MetadataError(`Upload metadata "${key}" is required.`);
  for (const [key, value] of Object.entries(m)) {
    if (value === null || value === undefined) throw new MetadataError(`Upload metadata "${key}" has no value.`);
    if (value.length === 0 || value.length > MAX[key as keyof SegmentMeta])
      throw new MetadataError(`Upload metadata "${key}" must be 1–${MAX[key as keyof SegmentMeta]} characters.`);
    if (!PRINTABLE_RE.test(value)) throw new MetadataError(`Upload metadata "${key}" must be printable ASCII.`);
    if (value.includes('/') || value.includes('\\') || value.includes('..')) throw new MetadataError(`Upload metadata "${key}" may not hold a path separator or "..".`);
  }
  const meta = m as unknown as SegmentMeta;
  if (!SHA256_RE.test(meta.sha256)) throw new MetadataError('Upload metadata "sha256" must be 64 lowercase hex characters.');
  for (const key of ['from', 'to'] as const) {
    if (!ISO_RE.test(meta[key]) || !Number.isFinite(Date.parse(meta[key])))
      throw new MetadataError(`Upload metadata "${key}" must be an ISO 8601 time with a zone, e.g. 2026-01-31T14:02:00Z.`);
  }
  if (Date.parse(meta.from) > Date.parse(meta.to)) throw new MetadataError('Upload metadata "from" is after "to".');
  const out: SegmentMeta = { sha256: meta.sha256, box: meta.box, source: meta.source, from: meta.from, to: meta.to };
  if (meta.filename !== undefined) out.filename = meta.filename;
  if (meta.range !== undefined) out.range = meta.range;
  return out;
}

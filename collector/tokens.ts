import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Technician tokens. The file is either JSON — `{"alice": "tok…"}`, or
 * `[{"technician": "alice", "token": "tok…", "expires": "2027-01-01T00:00:00Z"}]` — or lines
 * `technician token [expires]` (`#` starts a comment). It must not be readable by group or others,
 * as ssh insists for its keys. Tokens are kept only as sha256 digests and compared in constant time;
 * no token is ever logged or put in an error message.
 */
export interface TokenEntry {
  technician: string;
  digest: Buffer;
  /** ms since the epoch; undefined never expires. */
  expires: number | undefined;
}

export type TokenCheck = { ok: true; technician: string } | { ok: false; reason: string };

/** What a token looks like: 16–512 characters of base64url, base64 or hex (RFC 6750 token68). */
export const TOKEN_RE = /^[A-Za-z0-9._~+/-]{16,512}=*$/;
const TECHNICIAN_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export class TokenFileError extends Error {}

export function loadTokens(file: string): TokenEntry[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new TokenFileError(`Cannot read the tokens file ${file}: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new TokenFileError(`The tokens file ${file} is not a regular file.`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new TokenFileError(`The tokens file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file} and start again.`);
  }
  return parseTokens(fs.readFileSync(file, 'utf8'), file);
}

export function parseTokens(text: string, where = 'the tokens file'): TokenEntry[] {
  const raw: { technician: unknown; token: unknown; expires?: unknown; line: string }[] = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new TokenFileError(`${where} is not valid JSON: ${(err as Error).message.replace(/"[^"]*"/g, '…')}`);
    }
    if (Array.isArray(doc)) {
      doc.forEach((e, i) => {
        const o = (e ?? {}) as Record<string, unknown>;
        raw.push({ technician: o.technician, token: o.token, expires: o.expires, line: `entry ${i + 1}` });
      });
    } else {
      for (const [technician, token] of Object.entries(doc as Record<string, unknown>)) raw.push({ technician, token, line: `key ${JSON.stringify(technician)}` });
    }
  } else {
    text.split(/\r?\n/).forEach((l, i) => {
      const s = l.replace(/#.*$/, '').trim();
      if (!s) return;
      const parts = s.split(/\s+/);
      if (parts.length < 2 || parts.length > 3) throw new TokenFileError(`${where}, line ${i + 1}: expected "technician token [expires]".`);
      raw.push({ technician: parts[0], token: parts[1], expires: parts[2], line: `line ${i + 1}` });
    });
  }
  const out: TokenEntry[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    if (typeof r.technician !== 'string' || !TECHNICIAN_RE.test(r.technician))
      throw new TokenFileError(`${where}, ${r.line}: the technician name must be 1–64 of A-Z a-z 0-9 . _ @ -.`);
    if (typeof r.token !== 'string' || !TOKEN_RE.test(r.token))
      throw new TokenFileError(`${where}, ${r.line}: the token for ${r.technician} must be 16–512 base64url/hex characters.`);
    let expires: number | undefined;
    if (r.expires !== undefined && r.expires !== null) {
      expires = typeof r.expires === 'string' ? Date.parse(r.expires) : NaN;
      if (!Number.isFinite(expires)) throw new TokenFileError(`${where}, ${r.line}: the expiry for ${r.technician} is not an ISO 8601 time.`);
    }
    const digest = sha(r.token);
    const key = digest.toString('hex');
    if (seen.has(key)) throw new TokenFileError(`${where}, ${r.line}: the token for ${r.technician} is already given to another entry.`);
    seen.add(key);
    out.push({ technician: r.technician, digest, expires });
  }
  if (out.length === 0) throw new TokenFileError(`${where} holds no tokens: add a line "technician token".`);
  return out;
}

function sha(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Checks an Authorization header. Every entry is compared (no early exit) with timingSafeEqual
 * on fixed-length digests, so neither the match position nor the token length shows in the timing.
 */
export function checkAuthorization(header: string | null | undefined, tokens: readonly TokenEntry[], now = Date.now()): TokenCheck {
  if (!header) return { ok: false, reason: 'Missing collector token: send "Authorization: Bearer <token>" (the technician token from the collector admin).' };
  const m = /^Bearer +(\S+)$/i.exec(header.trim());
  if (!m) return { ok: false, reason: 'Malformed Authorization header: expected "Bearer <token>".' };
  const token = m[1]!;
  if (!TOKEN_RE.test(token))
    return { ok: false, reason: 'Malformed collector token: not in the token format this collector issues (16–512 base64url/hex characters). Ask for a new token.' };
  const digest = sha(token);
  let found: TokenEntry | undefined;
  for (const e of tokens) {
    if (crypto.timingSafeEqual(digest, e.digest) && found === undefined) found = e;
  }
  if (!found) return { ok: false, reason: 'Wrong collector token: it is not known to this collector. Check the token in Settings, or ask for a new one.' };
  if (found.expires !== undefined && found.expires <= now) {
    return { ok: false, reason: `The collector token for ${found.technician} expired at ${new Date(found.expires).toISOString()}. Ask for a new one.` };
  }
  return { ok: true, technician: found.technician };
}

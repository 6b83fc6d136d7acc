import { FieldlinkError } from '../../../shared/errors.ts';

export { fingerprintOf, keyTypeOf, hostKeyIdOf, type HostKeyId } from '../transport/ssh/keyblob.ts';
export { hostKeyAlgorithmsFor } from '../transport/ssh/hostkey.ts';

export const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Accepts what people paste (trailing '=' or spaces) and returns the canonical form, or throws BAD_REQUEST. */
export function normalizeFingerprint(text: string): string {
  const t = text.trim().replace(/=+$/, '');
  if (!FINGERPRINT_RE.test(t)) {
    throw new FieldlinkError('BAD_REQUEST', `"${text.slice(0, 80)}" is not an OpenSSH SHA256 fingerprint (SHA256: followed by 43 base64 characters).`);
  }
  return t;
}

/**
 * ssh-keygen -l prints the family in brackets ("(ED25519)") and the size; map that to the wire key
 * type names used by pins, so a fingerprint read over the console compares with one seen over SSH.
 */
export function keyTypeFromKeygen(family: string, bits: number): string | null {
  switch (family.toUpperCase()) {
    case 'ED25519':
      return 'ssh-ed25519';
    case 'RSA':
      return 'ssh-rsa';
    case 'DSA':
      return 'ssh-dss';
    case 'ECDSA':
      return bits === 256 || bits === 384 || bits === 521 ? `ecdsa-sha2-nistp${bits}` : null;
    case 'ED25519-SK':
      return 'sk-ssh-ed25519@openssh.com';
    case 'ECDSA-SK':
      return 'sk-ecdsa-sha2-nistp256@openssh.com';
    default:
      return null;
  }
}

/**
 * The technician's copy of a fingerprint (from the label, a chat, a printout) against the one the
 * box offers: spaces, a missing "SHA256:" and trailing "=" do not matter; every other character does.
 */
export function typedMatches(typed: string, fingerprint: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/\s+/g, '')
      .replace(/^SHA256:/i, '')
      .replace(/=+$/, '');
  const t = norm(typed);
  return t.length >= 43 && t === norm(fingerprint);
}

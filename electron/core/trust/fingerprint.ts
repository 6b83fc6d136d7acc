import { createHash } from 'node:crypto';
import { FieldlinkError } from '../../../shared/errors.ts';

/** One host key as a technician compares it: OpenSSH's key type name and its SHA256 fingerprint. */
export interface HostKeyId {
  keyType: string;
  fingerprint: string;
}

/** The OpenSSH form `SHA256:<base64 without padding>`, exactly what `ssh-keygen -lf` prints. */
export function fingerprintOf(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

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
 * The key type named inside an SSH public key blob (RFC 4253 string: uint32 length, then the name).
 * Box-supplied bytes: the length is bounded and the name must look like an algorithm name.
 */
export function keyTypeOf(keyBlob: Uint8Array): string {
  if (keyBlob.length < 4) throw new FieldlinkError('PROTOCOL', 'The host key is too short to be an SSH public key.');
  const len = ((keyBlob[0]! << 24) | (keyBlob[1]! << 16) | (keyBlob[2]! << 8) | keyBlob[3]!) >>> 0;
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) throw new FieldlinkError('PROTOCOL', 'The host key does not name a valid key type.');
  const name = Buffer.from(keyBlob.subarray(4, 4 + len)).toString('latin1');
  if (!/^[A-Za-z0-9@._+-]+$/.test(name)) throw new FieldlinkError('PROTOCOL', 'The host key names an invalid key type.');
  return name;
}

export function hostKeyIdOf(keyBlob: Uint8Array): HostKeyId {
  return { keyType: keyTypeOf(keyBlob), fingerprint: fingerprintOf(keyBlob) };
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

/** ssh2 negotiates host key *algorithms*; these are the ones whose key blobs carry each key type. */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

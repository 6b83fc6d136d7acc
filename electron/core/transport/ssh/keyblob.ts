import { createHash } from 'node:crypto';
import { FieldlinkError } from '../../../../shared/errors.ts';

/** One host key as a technician compares it: OpenSSH's key type name and its SHA256 fingerprint. */
export interface HostKeyId {
  keyType: string;
  fingerprint: string;
}

/** The OpenSSH form `SHA256:<base64 without padding>`, exactly what `ssh-keygen -lf` prints. */
export function fingerprintOf(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
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

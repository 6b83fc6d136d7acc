import type { FieldlinkError } from '../../../../shared/errors.ts';

/** One host key as the SSH layer saw it in the key exchange. */
export interface HostKey {
  keyType: string;
  fingerprint: string;
  /** `<type> <base64>`, for known_hosts export. */
  publicKey: string;
}

export type HostKeyVerdict = { ok: true; key: HostKey } | { ok: false; error: FieldlinkError };

/**
 * What the SSH layer asks of whoever decides trust (core/trust implements it). The transport knows
 * nothing of pins, audit rows or the technician: it asks for a verdict during the key exchange and
 * reports when the handshake has completed, so a first-use pin is committed only once the server
 * has proved it holds the key.
 */
export interface HostKeyCheck {
  /** Key types already pinned for this host: asked for first, so a box that has them shows them. */
  readonly pinnedKeyTypes: readonly string[];
  /** True when the verdict may wait on a person: the login timer pauses meanwhile. */
  readonly interactive: boolean;
  verify(host: string, port: number, keyBlob: Buffer): Promise<HostKeyVerdict>;
  /** The server proved the key (the handshake completed and the login succeeded). */
  confirmed?(key: HostKey, where: { host: string; port: number }): void;
}

/** ssh2 negotiates host key *algorithms*; these are the ones whose key blobs carry each key type. */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

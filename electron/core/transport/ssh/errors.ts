import { FieldlinkError } from '../../../../shared/errors.ts';

/**
 * ssh2 errors carry a `level`; map them to the codes a technician can act on. Host-key refusals are
 * decided by our verifier and passed in as `decided`, so they never show up as a generic handshake error.
 */
export function mapConnectError(err: unknown, target: string, ctx: { tried?: string[]; allowed?: string[] | null } = {}): FieldlinkError {
  if (err instanceof FieldlinkError) return err;
  const e = err as (Error & { level?: string; code?: string }) | undefined;
  const msg = e?.message ?? String(err);
  const code = e?.code ?? '';
  if (e?.level === 'client-authentication') {
    const tried = ctx.tried && ctx.tried.length ? ctx.tried.join(', ') : 'none (no agent, key file or password was available)';
    const allowed = ctx.allowed && ctx.allowed.length ? ` The box accepts: ${ctx.allowed.join(', ')}.` : '';
    return new FieldlinkError(
      'AUTH_FAILED',
      `${target} refused the login. Tried: ${tried}.${allowed} Check the user name, the password or that the technician key is installed on the box.`,
      {
        target,
        tried: ctx.tried ?? [],
        allowed: ctx.allowed ?? null,
      },
    );
  }
  if (e?.level === 'client-timeout') {
    return new FieldlinkError('TIMEOUT', `${target} stopped answering (${msg}).`, { target });
  }
  if (e?.level === 'client-socket' || /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EADDRNOTAVAIL)$/.test(code)) {
    const why =
      code === 'ECONNREFUSED'
        ? 'nothing is listening for SSH there'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? 'the address cannot be reached from this laptop'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 'the name does not resolve'
            : msg;
    return new FieldlinkError('LINK_DOWN', `Cannot reach ${target}: ${why}. Check the cable or network, and that the box is on.`, { target, cause: code || msg });
  }
  if (e?.level === 'protocol' || e?.level === 'handshake') {
    if (/lost before handshake|ECONNRESET|socket/i.test(msg)) {
      return new FieldlinkError('LINK_DOWN', `${target} closed the connection before SSH could start (${msg}).`, { target });
    }
    return new FieldlinkError('PROTOCOL', `SSH with ${target} failed: ${msg}.`, { target });
  }
  return new FieldlinkError('LINK_DOWN', `The SSH connection to ${target} failed: ${msg}.`, { target });
}

export function linkDropped(target: string, what: string): FieldlinkError {
  return new FieldlinkError('LINK_DOWN', `The connection to ${target} dropped during ${what}. Fieldlink will reconnect on the next call.`, { target });
}

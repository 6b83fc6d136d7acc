import { FieldlinkError } from '../../../shared/errors.ts';
import { readKeyValues, run, type Step, type StepContext } from './steps.ts';

/*
 * SSH password login as the profile says: off (the default) through a drop-in that sshd reads
 * before its main file, so it wins whatever the main file says; on by removing that drop-in. The
 * truth is `sshd -T`, sshd's own reading of its configuration. Password login goes off only once a
 * fresh login with the technician key alone has got in: a profile must never lock a box out.
 */
const DROP_IN = '/etc/ssh/sshd_config.d/10-fieldlink-password.conf';
const OFF = 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n';
const RELOAD = 'sshd -t && { systemctl reload ssh 2>/dev/null || systemctl reload sshd; }';

async function current(ctx: StepContext): Promise<{ password: string; kbd: string }> {
  const out = await run(ctx, 'report its sshd settings (sshd -T)', "sshd -T 2>/dev/null | grep -Ei '^(passwordauthentication|kbdinteractiveauthentication) ' | tr ' ' '='");
  const kv = new Map([...readKeyValues(out)].map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  const password = kv.get('passwordauthentication');
  if (!password) throw new FieldlinkError('REMOTE_FAILED', 'sshd -T did not say whether password login is on (is this sshd OpenSSH, and is the login user root?).');
  return { password, kbd: kv.get('kbdinteractiveauthentication') ?? 'no' };
}

function driftOf(ctx: StepContext, now: { password: string; kbd: string }): string[] {
  const want = ctx.profile.passwordLogin ? 'yes' : 'no';
  const drift: string[] = [];
  if (now.password !== want) drift.push(`SSH password login: ${now.password === 'yes' ? 'on' : 'off'} -> ${want === 'yes' ? 'on' : 'off'}`);
  if (want === 'no' && now.kbd !== 'no') drift.push('SSH keyboard-interactive login: on -> off');
  return drift;
}

export const passwordStep: Step = {
  id: 'password',
  title: 'Set SSH password login',
  async check(ctx) {
    const drift = driftOf(ctx, await current(ctx));
    return { done: drift.length === 0, drift };
  },
  async apply(ctx, progress) {
    if (ctx.profile.passwordLogin) {
      progress('Turning SSH password login back on');
      await run(ctx, 'turn password login on', `rm -f ${DROP_IN} && ${RELOAD}`);
      return;
    }
    progress('Proving the technician key logs in by itself');
    const proven = ctx.proveKeyLogin ? await ctx.proveKeyLogin() : false;
    if (!proven) {
      throw new FieldlinkError(
        'AUTH_FAILED',
        ctx.proveKeyLogin
          ? 'Password login stays on: a fresh SSH login with only the technician key was refused, so turning passwords off would lock the box.'
          : 'Password login stays on: over the cable the technician key cannot be proven to log in over SSH. Provision again over the LAN to turn it off.',
      );
    }
    progress('Turning SSH password login off');
    await ctx.shell.put(DROP_IN, Buffer.from(`# Written by Fieldlink (profile ${ctx.profile.name}): key login only.\n${OFF}`), 0o644, { signal: ctx.signal });
    await run(ctx, 'reload sshd with password login off', RELOAD);
  },
  async verify(ctx) {
    const drift = driftOf(ctx, await current(ctx));
    if (drift.length) throw new FieldlinkError('REMOTE_FAILED', `sshd still has ${drift.join('; ')}.`);
  },
};

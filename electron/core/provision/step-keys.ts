import { FieldlinkError } from '../../../shared/errors.ts';
import { installPublicKey } from '../keys/index.ts';
import { factsOf, run, type Step, type StepContext } from './steps.ts';

/*
 * The profile's keys in the login user's ~/.ssh/authorized_keys, folder 0700 and file 0600 (what
 * sshd's StrictModes wants). Installing is electron/core/keys' job (idempotent, key on stdin); this
 * step decides what is missing and asks it.
 */
const READ = [
  'd="${HOME:-/root}/.ssh"',
  'echo "modes=$(stat -c %a "$d" 2>/dev/null || echo -) $(stat -c %a "$d/authorized_keys" 2>/dev/null || echo -)"',
  'if [ -f "$d/authorized_keys" ]; then head -c 1048576 "$d/authorized_keys"; fi',
].join('\n');

/** The public key lines the profile wants for the login user. */
function wantedKeys(ctx: StepContext): string[] {
  const me = factsOf(ctx).user;
  const others = ctx.profile.users.filter((u) => u.name !== me && u.keys.length > 0);
  if (others.length > 0) {
    throw new FieldlinkError(
      'NOT_AVAILABLE_YET',
      `The profile has keys for ${others.map((u) => u.name).join(', ')}, but this version installs keys only for the user Fieldlink logs in as (${me}).`,
    );
  }
  const keys = ctx.profile.users.find((u) => u.name === me)?.keys ?? [];
  return keys.map((k) => {
    if (k !== 'technician') return k;
    if (!ctx.technicianKey) throw new FieldlinkError('NOT_FOUND', 'The profile installs the technician key, but this data folder has none yet; run `fieldlink keys` to make it.');
    return ctx.technicianKey;
  });
}

/** The key blob (second field) is what identifies a key, whatever its comment or options. */
const blobOf = (line: string) => line.trim().split(/\s+/)[1] ?? '';

async function missing(ctx: StepContext): Promise<{ keys: string[]; modes: string }> {
  const out = await run(ctx, 'read its authorized_keys', READ);
  const [first, ...rest] = out.split('\n');
  const modes = (first ?? '').replace(/^modes=/, '').trim();
  const have = new Set(rest.filter((l) => !l.trimStart().startsWith('#')).flatMap((l) => l.trim().split(/\s+/)));
  return { keys: wantedKeys(ctx).filter((k) => !have.has(blobOf(k))), modes };
}

export const keysStep: Step = {
  id: 'keys',
  title: 'Install the SSH keys',
  async check(ctx) {
    const m = await missing(ctx);
    const drift = m.keys.map((k) => `authorized_keys: add ${k.split(/\s+/)[0]} …${blobOf(k).slice(-12)}${k === ctx.technicianKey ? ' (technician key)' : ''}`);
    const wantsAny = wantedKeys(ctx).length > 0;
    if (wantsAny && m.modes !== '700 600') drift.push(`~/.ssh modes: ${m.modes} -> 700 600`);
    return { done: drift.length === 0, drift };
  },
  async apply(ctx, progress) {
    const m = await missing(ctx);
    // installPublicKey also sets the modes, so a present key with loose modes is fixed by re-installing it.
    const keys = m.keys.length > 0 ? m.keys : wantedKeys(ctx).slice(0, 1);
    for (const key of keys) {
      progress(`Adding ${key.split(/\s+/)[0]} key …${blobOf(key).slice(-12)}`);
      await installPublicKey(ctx.shell, key, { signal: ctx.signal });
    }
  },
  async verify(ctx) {
    const after = await this.check(ctx);
    if (!after.done) throw new FieldlinkError('REMOTE_FAILED', `The keys are still not in place after installing them: ${after.drift?.join('; ')}.`);
  },
};

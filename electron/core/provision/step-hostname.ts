import { FieldlinkError } from '../../../shared/errors.ts';
import { boxHostname, run, type Step, type StepContext } from './steps.ts';

/*
 * The hostname from the profile's pattern and the box's serial. hostnameFor only returns
 * [a-z0-9-] names, so the name is safe to write into the command itself.
 */
const READ = 'echo "kernel=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"; echo "file=$(cat /etc/hostname 2>/dev/null | head -n 1)"';

async function current(ctx: StepContext): Promise<{ kernel: string; file: string }> {
  const out = await run(ctx, 'report its hostname', READ);
  const get = (k: string) => (new RegExp(`^${k}=(.*)$`, 'm').exec(out)?.[1] ?? '').trim().slice(0, 253);
  return { kernel: get('kernel'), file: get('file') };
}

export const hostnameStep: Step = {
  id: 'hostname',
  title: 'Set the hostname',
  async check(ctx) {
    const name = boxHostname(ctx);
    const now = await current(ctx);
    const drift: string[] = [];
    if (now.kernel !== name) drift.push(`hostname: ${now.kernel || '(none)'} -> ${name}`);
    if (now.file !== name) drift.push(`/etc/hostname: ${now.file || '(none)'} -> ${name}`);
    return { done: drift.length === 0, drift };
  },
  async apply(ctx, progress) {
    const name = boxHostname(ctx);
    progress(`Setting the hostname to ${name}`);
    // hostnamectl where it exists keeps systemd-hostnamed in step; otherwise the files and the kernel name.
    await run(
      ctx,
      'set its hostname',
      [
        `if command -v hostnamectl >/dev/null 2>&1; then hostnamectl set-hostname ${name}; else`,
        `  echo ${name} > /etc/hostname.tmp && mv /etc/hostname.tmp /etc/hostname && hostname ${name}`,
        `  if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then sed -i 's/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1\\t${name}/' /etc/hosts; else printf '127.0.1.1\\t%s\\n' ${name} >> /etc/hosts; fi`,
        'fi',
      ].join('\n'),
    );
  },
  async verify(ctx) {
    const name = boxHostname(ctx);
    const now = await current(ctx);
    if (now.kernel !== name || now.file !== name) {
      throw new FieldlinkError('REMOTE_FAILED', `The box still reports hostname ${now.kernel || '(none)'} (/etc/hostname ${now.file || '(none)'}) after setting ${name}.`);
    }
  },
};

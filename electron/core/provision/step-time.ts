import { FieldlinkError } from '../../../shared/errors.ts';
import { readKeyValues, run, shq, stderrTail, type Step, type StepContext } from './steps.ts';

/*
 * Time zone, NTP servers (a timesyncd drop-in, which both systemd-timesyncd and timedatectl read),
 * and the clock itself: a box whose clock is far off and that no time server corrects (the site's
 * NTP is down, or there is none yet) gets the laptop's clock, because k3s certificates and the log
 * timestamps are only as right as that clock.
 */
const DROP_IN = '/etc/systemd/timesyncd.conf.d/50-fieldlink.conf';
/** Further off than this and the clock is set from the laptop's. */
export const CLOCK_TOLERANCE_S = 30;

const READ = [
  'echo "tz=$(readlink /etc/localtime 2>/dev/null | sed "s#.*/zoneinfo/##")"',
  `echo "ntp=$(sed -n 's/^NTP=//p' ${DROP_IN} 2>/dev/null | head -n 1)"`,
  'echo "timesyncd=$(systemctl is-active systemd-timesyncd 2>/dev/null)"',
  'echo "epoch=$(date -u +%s)"',
].join('\n');

interface TimeState {
  timezone: string;
  ntp: string;
  timesyncd: string;
  /** Box clock minus laptop clock, in seconds (the round trip's midpoint as the laptop's time). */
  offsetS: number;
}

async function current(ctx: StepContext): Promise<TimeState> {
  const sent = Date.now();
  const kv = readKeyValues(await run(ctx, 'report its time settings', READ));
  const laptop = (sent + Date.now()) / 2000;
  const epoch = Number(kv.get('epoch'));
  if (!Number.isFinite(epoch)) throw new FieldlinkError('PROTOCOL', 'The box did not report its clock (date -u +%s).');
  return { timezone: kv.get('tz') || 'Etc/UTC', ntp: kv.get('ntp') ?? '', timesyncd: kv.get('timesyncd') ?? '', offsetS: Math.round(epoch - laptop) };
}

/** UTC and Etc/UTC name the same zone; a box reports either. */
const sameZone = (a: string, b: string) => a === b || (['UTC', 'Etc/UTC'].includes(a) && ['UTC', 'Etc/UTC'].includes(b));

function driftOf(ctx: StepContext, now: TimeState): string[] {
  const { timezone, ntp } = ctx.profile.time;
  const drift: string[] = [];
  if (!sameZone(now.timezone, timezone)) drift.push(`time zone: ${now.timezone} -> ${timezone}`);
  if (ntp.length > 0 && now.ntp !== ntp.join(' ')) drift.push(`NTP servers: ${now.ntp || '(none)'} -> ${ntp.join(' ')}`);
  if (ntp.length > 0 && now.timesyncd !== 'active') drift.push(`systemd-timesyncd: ${now.timesyncd || 'inactive'} -> active`);
  if (Math.abs(now.offsetS) > CLOCK_TOLERANCE_S) drift.push(`clock: ${Math.abs(now.offsetS)} s ${now.offsetS < 0 ? 'behind' : 'ahead of'} the laptop -> set from the laptop`);
  return drift;
}

export const timeStep: Step = {
  id: 'time',
  title: 'Set the time zone and time sources',
  async check(ctx) {
    const drift = driftOf(ctx, await current(ctx));
    return { done: drift.length === 0, drift };
  },
  async apply(ctx, progress) {
    const { timezone, ntp } = ctx.profile.time;
    progress(`Time zone ${timezone}${ntp.length ? `, NTP ${ntp.join(' ')}` : ''}`);
    const tz = shq(timezone);
    const lines = [
      'set -e',
      `if command -v timedatectl >/dev/null 2>&1; then timedatectl set-timezone ${tz}; else ln -sf /usr/share/zoneinfo/${tz} /etc/localtime; echo ${tz} > /etc/timezone; fi`,
    ];
    if (ntp.length > 0) {
      lines.push(
        `mkdir -p ${DROP_IN.replace(/\/[^/]+$/, '')}`,
        `printf '[Time]\\nNTP=%s\\n' ${shq(ntp.join(' '))} > ${DROP_IN}.tmp && mv ${DROP_IN}.tmp ${DROP_IN}`,
        'timedatectl set-ntp true',
        'systemctl restart systemd-timesyncd',
      );
    }
    await run(ctx, 'set its time zone and time servers', lines.join('\n'));
    const now = await current(ctx);
    if (Math.abs(now.offsetS) > CLOCK_TOLERANCE_S) {
      progress(`The box clock is ${Math.abs(now.offsetS)} s off; setting it from the laptop`);
      await setClock(ctx);
    }
  },
  async verify(ctx) {
    const drift = driftOf(ctx, await current(ctx));
    if (drift.length > 0) throw new FieldlinkError('REMOTE_FAILED', `The time settings did not take: ${drift.join('; ')}.`);
  },
};

/** The box clock from the laptop's, with the round trip's half added; the hardware clock too where there is one. */
async function setClock(ctx: StepContext): Promise<void> {
  const r = await ctx.shell.exec('read -r t; date -u -s "@$t" >/dev/null && { hwclock --systohc 2>/dev/null || true; }', {
    stdin: `${Math.round(Date.now() / 1000)}\n`,
    timeoutMs: 30_000,
    signal: ctx.signal,
  });
  if (r.code !== 0) {
    const why = stderrTail(r.stderr, 200);
    throw new FieldlinkError(
      'REMOTE_FAILED',
      `The box clock is off and could not be set from the laptop${why ? ` (${why})` : ''}. Check that the site's time server answers, or set the clock on the box.`,
    );
  }
}

import { safeText } from '../../../shared/text.ts';
import { k3sArch } from './artifacts.ts';
import { artifactsFor } from './step-k3s.ts';
import { run, type BoxFacts, type Step, type StepContext } from './steps.ts';

/*
 * One round trip for everything the later steps need to know about the box. Reading facts changes
 * nothing, so the step is always "done": its check reads them into the context.
 */
const FACTS_SCRIPT = [
  'echo "machine=$(uname -m)"',
  'echo "kernel=$(uname -r)"',
  'if [ -r /etc/os-release ]; then . /etc/os-release; fi',
  'echo "os_id=${ID:-}"; echo "os_version=${VERSION_ID:-}"; echo "os_name=${PRETTY_NAME:-}"',
  'if [ -d /run/systemd/system ] || command -v systemctl >/dev/null 2>&1; then echo init=systemd; elif command -v openrc >/dev/null 2>&1; then echo init=openrc; else echo init=unknown; fi',
  'if command -v netplan >/dev/null 2>&1 && [ -d /etc/netplan ]; then echo nm=netplan;' +
    ' elif command -v nmcli >/dev/null 2>&1 && [ -d /etc/NetworkManager ]; then echo nm=networkmanager;' +
    ' elif [ -d /etc/systemd/network ] && ls /etc/systemd/network/*.network >/dev/null 2>&1; then echo nm=systemd-networkd;' +
    ' else echo nm=none; fi',
  'echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"',
  's=$(cat /sys/class/dmi/id/product_serial 2>/dev/null); [ -n "$s" ] || s=$(dmidecode -s system-serial-number 2>/dev/null); echo "serial=$s"',
  'echo "machine_id=$(cat /etc/machine-id 2>/dev/null)"',
  'echo "user=$(id -un)"; echo "home=${HOME:-/root}"',
].join('\n');

export const factsStep: Step = {
  id: 'facts',
  title: 'Read the box facts',
  async check(ctx) {
    ctx.facts = await readFacts(ctx);
    // k3s for this box's arch must be on the laptop before anything on the box changes: a box of
    // the wrong arch stops here, not after its hostname, keys and password login were changed.
    if (ctx.artifacts) artifactsFor(ctx);
    return { done: true };
  },
  async apply() {},
  async verify() {},
};

export async function readFacts(ctx: StepContext): Promise<BoxFacts> {
  const out = await run(ctx, 'report its facts', FACTS_SCRIPT, { timeoutMs: 30_000 });
  const kv = new Map<string, string>();
  for (const line of out.split('\n').slice(0, 64)) {
    const at = line.indexOf('=');
    if (at > 0)
      kv.set(
        line.slice(0, at),
        safeText(line.slice(at + 1))
          .slice(0, 200)
          .trim(),
      );
  }
  const get = (k: string) => kv.get(k) ?? '';
  const init = get('init');
  const nm = get('nm');
  return {
    machine: get('machine'),
    arch: k3sArch(get('machine')),
    kernel: get('kernel'),
    osId: get('os_id'),
    osVersion: get('os_version'),
    osName: get('os_name'),
    init: init === 'systemd' || init === 'openrc' ? init : 'unknown',
    networkManager: nm === 'netplan' || nm === 'networkmanager' || nm === 'systemd-networkd' ? nm : 'none',
    hostname: get('hostname'),
    serial: get('serial'),
    machineId: get('machine_id'),
    user: get('user'),
    home: get('home'),
  };
}

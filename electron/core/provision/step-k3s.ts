import fs from 'node:fs/promises';
import { stringify as stringifyYaml } from 'yaml';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { K3sArtifacts } from './artifacts.ts';
import { factsOf, readKeyValues, run, sha256Hex, shq, type Step, type StepContext } from './steps.ts';

/*
 * k3s from the laptop's artifact cache, the airgap way k3s documents: the binary for the box's
 * arch in /usr/local/bin, the airgap images in the agent's images folder, config.yaml and
 * registries.yaml in /etc/rancher/k3s, then the release's install.sh with INSTALL_K3S_SKIP_DOWNLOAD
 * to write the unit and start it. Every file is compared by sha256 with what the box has, so a
 * re-run sends nothing that is already there and a cut transfer is simply sent again.
 */
const BIN = '/usr/local/bin/k3s';
const IMAGES_DIR = '/var/lib/rancher/k3s/agent/images';
const CONFIG = '/etc/rancher/k3s/config.yaml';
const REGISTRIES = '/etc/rancher/k3s/registries.yaml';
const INSTALLER = '/var/lib/fieldlink/k3s-install.sh';

/** The service install.sh makes for the role: k3s for a server, k3s-agent for an agent. */
const serviceOf = (ctx: StepContext) => (ctx.profile.k3s.role === 'server' ? 'k3s' : 'k3s-agent');

/** /etc/rancher/k3s/config.yaml: the site's labels and the node's, taints, and what a server leaves out. */
export function k3sConfigYaml(ctx: Pick<StepContext, 'profile'>): string {
  const { profile } = ctx;
  const labels = { ...profile.site.labels, ...profile.k3s.nodeLabels };
  const doc: Record<string, unknown> = {};
  if (Object.keys(labels).length) doc['node-label'] = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (profile.k3s.nodeTaints.length) doc['node-taint'] = profile.k3s.nodeTaints;
  if (profile.k3s.role === 'server' && profile.k3s.disable.length) doc.disable = profile.k3s.disable;
  return `# Written by Fieldlink from profile ${profile.name}; provisioning again replaces it.\n${Object.keys(doc).length ? stringifyYaml(doc) : '{}\n'}`;
}

/** /etc/rancher/k3s/registries.yaml, as k3s reads it (mirrors.<registry>.endpoint). */
export function registriesYaml(ctx: Pick<StepContext, 'profile'>): string {
  const mirrors = Object.fromEntries(Object.entries(ctx.profile.k3s.registries.mirrors).map(([name, m]) => [name, { endpoint: m.endpoints }]));
  return `# Written by Fieldlink from profile ${ctx.profile.name}.\n${stringifyYaml({ mirrors })}`;
}

/** The cached k3s release for the box's arch, or a clear NOT_FOUND saying how to add it. */
export function artifactsFor(ctx: StepContext): K3sArtifacts {
  if (!ctx.artifacts) throw new FieldlinkError('INTERNAL', 'The k3s step needs the artifact cache.');
  const a = ctx.artifacts.pick(ctx.profile.k3s.version, factsOf(ctx).machine);
  if (!a.installSh)
    throw new FieldlinkError('NOT_FOUND', `The cached k3s ${a.version} has no install.sh; add it beside the release files and run \`fieldlink artifacts add DIR\` again.`);
  return a;
}

interface K3sState {
  version: string;
  bin: string;
  images: string;
  config: string;
  registries: string;
  unit: boolean;
  active: string;
  enabled: string;
}

async function current(ctx: StepContext, a: K3sArtifacts): Promise<K3sState> {
  const svc = serviceOf(ctx);
  const hash = (p: string) => `$(sha256sum ${p} 2>/dev/null | cut -c1-64)`;
  const out = await run(
    ctx,
    'report its k3s',
    [
      `echo "version=$(${BIN} --version 2>/dev/null | head -n 1)"`,
      `echo "bin=${hash(BIN)}"`,
      `echo "images=${hash(`${IMAGES_DIR}/${a.images.name}`)}"`,
      `echo "config=${hash(CONFIG)}"`,
      `echo "registries=${hash(REGISTRIES)}"`,
      `echo "unit=$([ -f /etc/systemd/system/${svc}.service ] && echo yes)"`,
      `echo "active=$(systemctl is-active ${svc} 2>/dev/null)"`,
      `echo "enabled=$(systemctl is-enabled ${svc} 2>/dev/null)"`,
    ].join('\n'),
    { timeoutMs: 120_000 },
  );
  const kv = readKeyValues(out);
  const get = (k: string) => kv.get(k) ?? '';
  return {
    version: /k3s version (v\S+)/.exec(get('version'))?.[1] ?? '',
    bin: get('bin'),
    images: get('images'),
    config: get('config'),
    registries: get('registries'),
    unit: get('unit') === 'yes',
    active: get('active'),
    enabled: get('enabled'),
  };
}

interface K3sDiff {
  bin: boolean;
  images: boolean;
  config: boolean;
  registries: boolean;
  /** install.sh must run (not installed, or something it reads changed). */
  install: boolean;
  /** Installed as wanted, only not running or not enabled. */
  start: boolean;
  drift: string[];
}

function diff(ctx: StepContext, a: K3sArtifacts, now: K3sState): K3sDiff {
  const svc = serviceOf(ctx);
  const d = {
    bin: now.bin !== a.binary.sha256,
    images: now.images !== a.images.sha256,
    config: now.config !== sha256Hex(k3sConfigYaml(ctx)),
    registries: now.registries !== sha256Hex(registriesYaml(ctx)),
  };
  const drift: string[] = [];
  if (d.bin) drift.push(`k3s: ${now.version || 'not installed'} -> ${a.version} (${a.arch})`);
  if (d.images) drift.push(`airgap images: ${now.images ? 'different' : 'missing'} -> ${a.images.name}`);
  if (d.config) drift.push(`${CONFIG}: ${now.config ? 'differs from the profile' : 'missing'}`);
  if (d.registries) drift.push(`${REGISTRIES}: ${now.registries ? 'differs from the profile' : 'missing'}`);
  if (!now.unit) drift.push(`${svc}.service: not installed`);
  const install = d.bin || d.config || d.registries || !now.unit;
  const start = !install && (now.active !== 'active' || now.enabled !== 'enabled');
  if (!install && now.active !== 'active') drift.push(`${svc}: ${now.active || 'inactive'} -> active`);
  if (!install && now.enabled !== 'enabled') drift.push(`${svc}: ${now.enabled || 'disabled'} -> enabled`);
  return { ...d, install, start, drift };
}

/** Room k3s takes beyond the files sent: it unpacks itself under /var/lib/rancher on its first start. */
const UNPACK_FACTOR = 1;
const MARGIN_BYTES = 64 * 1048576;

/**
 * Refuses before anything is sent when the box lacks the room: a k3s half-sent to a full eMMC fails
 * later and less clearly (sftp only says "Failure"), and the first start would fail to unpack.
 */
async function roomFor(ctx: StepContext, a: K3sArtifacts, d: K3sDiff): Promise<void> {
  const need = (d.images ? a.images.size : 0) + (d.bin ? a.binary.size * (1 + UNPACK_FACTOR) : 0) + (a.installSh?.size ?? 0) + MARGIN_BYTES;
  const out = await run(ctx, 'report its free disk space', `df -Pk ${IMAGES_DIR} ${BIN.replace(/\/[^/]+$/, '')} | awk 'NR > 1 { print $4 }'`);
  const free = out
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map((l) => Number(l.trim()) * 1024);
  if (free.length === 0) return;
  const least = Math.min(...free);
  if (least < need) {
    const mib = (n: number) => Math.floor(n / 1048576);
    throw new FieldlinkError(
      'REMOTE_FAILED',
      `The box's disk is full: it has ${mib(least)} MiB free where k3s goes (/var/lib/rancher, /usr/local/bin) and k3s ${a.version} needs about ${mib(need)} MiB; nothing of k3s was sent. Free space on the box (old logs or images under /var), then run this again.`,
      { diskFull: true, freeBytes: least, needBytes: need },
    );
  }
}

/** Sends a cached file (read once, sent over the link, checked by sha256 on the box). */
async function send(ctx: StepContext, file: { path: string; name: string; size: number }, to: string, mode: number, progress: (m: string) => void): Promise<void> {
  const mib = (file.size / 1048576).toFixed(1);
  progress(`Sending ${file.name} (${mib} MiB)`);
  let lastPct = -1;
  await ctx.shell.put(to, await fs.readFile(file.path), mode, {
    signal: ctx.signal,
    timeoutMs: 30 * 60_000,
    onProgress: (done, total) => {
      const pct = total ? Math.floor((done / total) * 10) * 10 : 100;
      if (pct !== lastPct) progress(`Sending ${file.name}: ${pct}% of ${mib} MiB`);
      lastPct = pct;
    },
  });
}

/** The join token for the profile's k3s, from the keychain; undefined for a server that lets k3s make one. */
function tokenOf(ctx: StepContext): string | undefined {
  const ref = ctx.profile.k3s.token;
  if (!ref) return undefined;
  const token = ctx.secret?.(ref.secret);
  if (!token)
    throw new FieldlinkError('NOT_FOUND', `The profile's k3s token "${ref.secret}" is not in this laptop's keychain; add it with \`fieldlink secrets set ${ref.secret}\`.`);
  return token;
}

async function install(ctx: StepContext, a: K3sArtifacts, progress: (m: string) => void): Promise<void> {
  const k = ctx.profile.k3s;
  const token = tokenOf(ctx);
  await send(ctx, a.installSh!, INSTALLER, 0o755, progress);
  progress(`Installing k3s ${a.version} as ${k.role === 'server' ? 'a server' : `an agent of ${k.serverUrl}`}`);
  const env = ['INSTALL_K3S_SKIP_DOWNLOAD=true', `INSTALL_K3S_EXEC=${k.role}`, ...(k.role === 'agent' ? [`K3S_URL=${shq(k.serverUrl)}`] : [])];
  // The token goes through stdin into the installer's environment: never on a command line.
  const script = [token ? 'IFS= read -r K3S_TOKEN; export K3S_TOKEN' : 'unset K3S_TOKEN', `${env.join(' ')} sh ${INSTALLER}`].join('\n');
  await run(ctx, 'install k3s', script, { stdin: token ? `${token}\n` : undefined, timeoutMs: 10 * 60_000 });
}

/** The cached release for the box and how the box differs from it (hashing what it holds). */
async function compare(ctx: StepContext): Promise<{ a: K3sArtifacts; d: K3sDiff }> {
  const a = artifactsFor(ctx);
  return { a, d: diff(ctx, a, await current(ctx, a)) };
}

export const k3sStep: Step<{ a: K3sArtifacts; d: K3sDiff }> = {
  id: 'k3s',
  title: 'Install k3s',
  async check(ctx) {
    const state = await compare(ctx);
    return { done: state.d.drift.length === 0, drift: state.d.drift, state };
  },
  async apply(ctx, progress, checked) {
    // The check just hashed the box's files (the images tarball is the big one): not again here.
    const { a, d } = checked?.state ?? (await compare(ctx));
    await run(ctx, 'make the k3s folders', `mkdir -p ${IMAGES_DIR} /etc/rancher/k3s ${INSTALLER.replace(/\/[^/]+$/, '')}`);
    await roomFor(ctx, a, d);
    if (d.images) await send(ctx, a.images, `${IMAGES_DIR}/${a.images.name}`, 0o644, progress);
    if (d.config) await ctx.shell.put(CONFIG, Buffer.from(k3sConfigYaml(ctx)), 0o600, { signal: ctx.signal });
    if (d.registries) await ctx.shell.put(REGISTRIES, Buffer.from(registriesYaml(ctx)), 0o600, { signal: ctx.signal });
    if (d.bin) await send(ctx, a.binary, BIN, 0o755, progress);
    if (d.install) await install(ctx, a, progress);
    else if (d.start) await run(ctx, 'start k3s', `systemctl enable --now ${serviceOf(ctx)}`);
  },
  async verify(ctx) {
    const { d } = await compare(ctx);
    if (d.drift.length) throw new FieldlinkError('REMOTE_FAILED', `k3s is not as the profile wants after installing it: ${d.drift.join('; ')}.`);
  },
};

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Shell } from '../transport/index.ts';

/** Where k3s writes its admin kubeconfig on a server box. */
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';
/** A k3s kubeconfig is ~3 KiB; anything much bigger is not one. */
const MAX_KUBECONFIG_BYTES = 256 * 1024;
/**
 * The name TLS checks when the API is reached through the tunnel: k3s puts `kubernetes` in every
 * serving certificate's SANs, so verification stays on without trusting the tunnel's 127.0.0.1.
 */
export const K3S_SERVER_NAME = 'kubernetes';

/** What Fieldlink keeps of a box's kubeconfig: the API's address on the box, its CA, and the client credentials. */
export interface BoxKubeconfig {
  /** Where the API listens, as seen from the box (k3s: 127.0.0.1:6443). */
  host: string;
  port: number;
  /** The name the serving certificate is checked against. */
  serverName: string;
  /** PEM. */
  ca: string;
  cert: string;
  key: string;
  /** The client certificate's end of validity (ISO), when it parses. */
  certNotAfter: string | null;
  certSubject: string | null;
}

/** Box time read alongside the kubeconfig, so clock skew costs no extra round trip. */
export interface BoxClock {
  /** Box epoch milliseconds. */
  boxMs: number;
  /** Laptop epoch milliseconds at the middle of the call, and half the call's duration (the uncertainty). */
  laptopMs: number;
  uncertaintyMs: number;
}

const decode = (b64: unknown, what: string): string => {
  if (typeof b64 !== 'string' || b64.length === 0)
    throw new FieldlinkError('PROTOCOL', `The box's kubeconfig has no ${what}; k3s embeds it. Re-run k3s on the box (systemctl restart k3s) to rewrite ${K3S_KUBECONFIG}.`);
  return Buffer.from(b64, 'base64').toString('utf8');
};

/** Reads a k3s kubeconfig (YAML). Only the current context's cluster and user; file references are refused (k3s embeds everything). */
export function parseKubeconfig(text: string): BoxKubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch (err) {
    throw new FieldlinkError('PROTOCOL', `The box's kubeconfig (${K3S_KUBECONFIG}) is not valid YAML.`, undefined, { cause: err });
  }
  const cfg = (doc ?? {}) as {
    'current-context'?: string;
    contexts?: Array<{ name?: string; context?: { cluster?: string; user?: string } }>;
    clusters?: Array<{ name?: string; cluster?: Record<string, unknown> }>;
    users?: Array<{ name?: string; user?: Record<string, unknown> }>;
  };
  const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
  const ctx = list(cfg.contexts).find((c) => c?.name === cfg['current-context']) ?? list(cfg.contexts)[0];
  const cluster = list(cfg.clusters).find((c) => c?.name === ctx?.context?.cluster)?.cluster ?? list(cfg.clusters)[0]?.cluster;
  const user = list(cfg.users).find((u) => u?.name === ctx?.context?.user)?.user ?? list(cfg.users)[0]?.user;
  if (!cluster || !user) throw new FieldlinkError('PROTOCOL', `The box's kubeconfig (${K3S_KUBECONFIG}) has no cluster or user; is this box a k3s server?`);
  let url: URL;
  try {
    url = new URL(String(cluster.server ?? ''));
  } catch {
    throw new FieldlinkError('PROTOCOL', `The box's kubeconfig names no usable API server address.`);
  }
  if (url.protocol !== 'https:')
    throw new FieldlinkError('PROTOCOL', `The box's kubeconfig points at ${url.protocol}//…, not HTTPS; Fieldlink keeps TLS verification on and will not use it.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // The tunnel reaches the API from the box itself: a kubeconfig naming another machine is not this box's API.
  if (!(host === 'localhost' || host === '::1' || /^127\./.test(host))) {
    throw new FieldlinkError(
      'PROTOCOL',
      `The box's kubeconfig points at ${host.slice(0, 100)}, not at the box's own API (127.0.0.1). Is this box a k3s agent? Ask for health on its server box.`,
      { host: host.slice(0, 100) },
    );
  }
  const ca = decode(cluster['certificate-authority-data'], 'certificate-authority-data');
  const cert = decode(user['client-certificate-data'], 'client-certificate-data');
  const key = decode(user['client-key-data'], 'client-key-data');
  const named = typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : null;
  const serverName = named ?? (isIP(host) || host === 'localhost' ? K3S_SERVER_NAME : host);
  const info = certInfo(cert);
  return {
    host: host === 'localhost' ? '127.0.0.1' : host,
    port: Number(url.port || 443),
    serverName,
    ca,
    cert,
    key,
    certNotAfter: info?.notAfter ?? null,
    certSubject: info?.subject ?? null,
  };
}

/** The first certificate of a PEM chain: its end of validity and subject; null when it does not parse. */
export function certInfo(pem: string): { notAfter: string; subject: string } | null {
  try {
    const x = new X509Certificate(pem);
    return { notAfter: new Date(x.validTo).toISOString(), subject: x.subject.replace(/\n/g, ', ') };
  } catch {
    return null;
  }
}

/** Runs as root where the login is root, else through sudo without a prompt (the password never goes on a command line). */
export function asRoot(command: string): string {
  return `if [ "$(id -u)" = 0 ]; then ${command}; else sudo -n sh -c '${command.replace(/'/g, `'\\''`)}'; fi`;
}

/** Reads and parses the box's k3s kubeconfig through the Shell, with the box's clock in the same call. */
export async function readKubeconfig(shell: Shell, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ kubeconfig: BoxKubeconfig; clock: BoxClock | null }> {
  const t0 = Date.now();
  const r = await shell.exec(`date -u +%s%N; ${asRoot(`cat ${K3S_KUBECONFIG}`)}`, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 30_000,
    maxOutputBytes: MAX_KUBECONFIG_BYTES,
  });
  const t1 = Date.now();
  const out = Buffer.from(r.stdout).toString('utf8');
  const nl = out.indexOf('\n');
  const clock = parseClock(out.slice(0, nl), t0, t1);
  const body = out.slice(nl + 1);
  if (r.code !== 0 || !body.trim()) {
    const why = Buffer.from(r.stderr).toString('utf8').trim().slice(0, 200);
    throw new FieldlinkError(
      'REMOTE_FAILED',
      `Could not read ${K3S_KUBECONFIG} on ${shell.target}${why ? ` (${why})` : ''}. Is k3s installed and running there (systemctl status k3s)? A non-root login needs sudo without a password prompt.`,
      { target: shell.target },
    );
  }
  if (r.truncated) throw new FieldlinkError('PROTOCOL', `${K3S_KUBECONFIG} on ${shell.target} is over ${MAX_KUBECONFIG_BYTES / 1024} KiB: that is not a k3s kubeconfig.`);
  return { kubeconfig: parseKubeconfig(body), clock };
}

/** `date +%s%N` output (nanoseconds; busybox prints a literal N) read against the laptop's time around the call. */
export function parseClock(line: string, t0: number, t1: number): BoxClock | null {
  const m = /^(\d{10})(\d{9})?/.exec(line.trim());
  if (!m) return null;
  const boxMs = Number(m[1]) * 1000 + (m[2] ? Math.floor(Number(m[2]) / 1e6) : 500);
  return { boxMs, laptopMs: Math.round((t0 + t1) / 2), uncertaintyMs: Math.ceil((t1 - t0) / 2) + (m[2] ? 0 : 500) };
}

/**
 * A kubeconfig for real kubectl (and k9s, Lens, Headlamp) that reaches the box through the local
 * tunnel: server https://127.0.0.1:PORT, the box's CA and client certificate embedded, and
 * tls-server-name so the certificate is checked against the box's name, not the tunnel's address.
 */
export function tunnelKubeconfig(kc: BoxKubeconfig, port: number, name: string): string {
  const n = name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'box';
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return stringifyYaml(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: n, cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': b64(kc.ca), 'tls-server-name': kc.serverName } }],
      users: [{ name: `${n}-admin`, user: { 'client-certificate-data': b64(kc.cert), 'client-key-data': b64(kc.key) } }],
      contexts: [{ name: n, context: { cluster: n, user: `${n}-admin` } }],
      'current-context': n,
      preferences: {},
    },
    { lineWidth: 0 },
  );
}

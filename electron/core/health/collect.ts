import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { CoreV1Api, CustomObjectsApi, KubeConfig, RequestContext, ResponseContext, SecurityAuthentication } from '@kubernetes/client-node';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Logger } from '../log/index.ts';
import type { Shell } from '../transport/index.ts';
import { CERT_WARN_DAYS, diagnose } from './diagnosis.ts';
import { K3S_KUBECONFIG, asRoot, certInfo, parseClock, readKubeconfig, type BoxClock, type BoxKubeconfig } from './kubeconfig.ts';
import { MAX_EVENTS, MAX_PODS, buildModel, type HealthSnapshot, type RawHealth } from './model.ts';
import { canForward, openTunnel, type Forwarding, type Tunnel } from './tunnel.ts';

/** k3s's API as its kubeconfig names it, and how many channels to open there ahead of the kubeconfig (one per first request). */
const K3S_DEFAULT = { host: '127.0.0.1', port: 6443 };
const SPARE_CHANNELS = 5;

/** Pods per list page: as kubectl asks (500), so the box's API does the same work for both. */
export const PAGE = 500;
/** Compressed output kept from `k3s kubectl … -o json` over the serial console. */
const MAX_SERIAL_BYTES = 32 * 1024 * 1024;
/** And what it may inflate to before it is parsed. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Where a box's API credentials (CA, admin certificate and key) are kept between calls: the
 * secret store, so a later `fieldlink health` skips reading the kubeconfig (a command's round
 * trips). A kept credential the box no longer accepts is forgotten and read afresh.
 */
export interface CredentialCache {
  get(): string | undefined;
  set(value: string): void;
  forget(): void;
}

/** The box's API credentials kept in the secret store (sealed: keychain or 0600 key file), under the SSH target. */
export function keptCredentials(
  secrets: { get(name: string): string | undefined; set(name: string, value: string): void; delete(name: string): boolean },
  sshTarget: string,
  log?: Logger,
): CredentialCache {
  const name = `k3s-admin:${sshTarget}`;
  const quietly = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      // A keychain that cannot be opened only costs the kubeconfig read; the key itself is never logged.
      log?.warn({ err: (err as Error)?.message, target: sshTarget }, `the kept k3s credentials could not be ${what}`);
      return undefined;
    }
  };
  return {
    get: () => quietly('read', () => secrets.get(name)),
    set: (v) => void quietly('kept', () => secrets.set(name, v)),
    forget: () => void quietly('forgotten', () => secrets.delete(name)),
  };
}

export interface HealthOptions {
  /** The target as the technician named it, for the snapshot. */
  target?: string;
  signal?: AbortSignal;
  /** For the whole snapshot (default 60 s over the API, 10 min over serial). */
  timeoutMs?: number;
  progress?: (message: string) => void;
  log?: Logger;
  /** Keep the box's API credentials between calls (see CredentialCache). */
  credentials?: CredentialCache;
}

type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: Promise<ClientNode> | null = null;

/**
 * @kubernetes/client-node, loaded on first use: it costs ~350 ms of start-up, which every other
 * command would pay too; health starts loading it while the SSH login is still on the wire.
 */
export function loadClientNode(): Promise<ClientNode> {
  return (clientNode ??= import('@kubernetes/client-node'));
}

/** The cluster as KubeConfig options, reached at `server` (the tunnel), checked against the box's own CA and server name. */
export function kubeConfigFor(k8s: ClientNode, kc: BoxKubeconfig, server: string, name = 'fieldlink'): KubeConfig {
  const k = new k8s.KubeConfig();
  k.loadFromOptions({
    clusters: [{ name, server, caData: Buffer.from(kc.ca).toString('base64'), tlsServerName: kc.serverName, skipTLSVerify: false }],
    users: [{ name, certData: Buffer.from(kc.cert).toString('base64'), keyData: Buffer.from(kc.key).toString('base64') }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return k;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
/** undici's Dispatcher.request, as far as ApiSession.get uses it (client-node builds an undici Agent). */
interface UndiciRequester {
  request(o: {
    origin: string;
    path: string;
    method: 'GET';
    headers: Record<string, string>;
    signal?: AbortSignal;
    headersTimeout?: number;
    bodyTimeout?: number;
  }): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: Readable }>;
}

/**
 * One box's API through its tunnel: the kubeconfig read once, one TLS connection pool (client-node
 * would otherwise open a fresh connection, and a fresh tunnel channel, for every request).
 */
export class ApiSession {
  readonly kubeconfig: BoxKubeconfig;
  readonly clock: BoxClock | null;
  readonly tunnel: Tunnel;
  readonly #shell: Shell;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  #dispatcher: Promise<Dispatcher | undefined> | null = null;
  #signal: AbortSignal | undefined;
  /** The credentials came from the cache, not from the box just now. */
  readonly fromCache: boolean;
  /** Box time from the API's HTTP Date header (1 s resolution), when no command read it. */
  #dateClock: BoxClock | null = null;
  #startedAt = 0;
  readonly #k8s: ClientNode;
  readonly #kc: KubeConfig;

  private constructor(k8s: ClientNode, shell: Shell, kubeconfig: BoxKubeconfig, clock: BoxClock | null, tunnel: Tunnel, fromCache: boolean) {
    this.fromCache = fromCache;
    this.#shell = shell;
    this.kubeconfig = kubeconfig;
    this.clock = clock;
    this.tunnel = tunnel;
    this.#k8s = k8s;
    this.#kc = kubeConfigFor(k8s, kubeconfig, this.server);
    const auth: SecurityAuthentication = {
      getName: () => 'fieldlink-tunnel',
      applySecurityAuthentication: async (ctx: RequestContext) => {
        const d = await this.#dispatch(ctx);
        if (d) ctx.setDispatcher(d);
        if (this.#signal) ctx.setSignal(this.#signal);
      },
    };
    const onResponse = async (r: ResponseContext) => {
      const date = Date.parse(r.headers.date ?? r.headers.Date ?? '');
      const at = Date.now();
      // The first answer is the tightest bound: the box stamped it at most this long after we asked.
      if (Number.isFinite(date) && !this.#dateClock) this.#dateClock = { boxMs: date + 500, laptopMs: at, uncertaintyMs: 500 + Math.max(0, at - this.#startedAt) };
      return r;
    };
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(this.server, {}),
      authMethods: { default: auth },
      httpApi: boundedHttp(k8s),
      promiseMiddleware: [{ pre: async (c: RequestContext) => c, post: onResponse }],
    });
    this.#core = new k8s.CoreV1Api(config);
    this.#custom = new k8s.CustomObjectsApi(config);
  }

  get server(): string {
    return `https://127.0.0.1:${this.tunnel.port}`;
  }

  /** The first request builds the dispatcher from the kubeconfig (CA, client cert, server name); the rest share it. */
  #dispatch(ctx: RequestContext): Promise<Dispatcher | undefined> {
    return (this.#dispatcher ??= this.#kc.applySecurityAuthentication(ctx).then(() => ctx.getDispatcher()));
  }

  /** The shell the tunnel runs over (df under disk pressure, the link's kind). */
  get shell(): Shell {
    return this.#shell;
  }

  /** client-node's typed APIs on this session (the shared dispatcher, answers read through MAX_RESPONSE_BYTES). */
  get core(): CoreV1Api {
    return this.#core;
  }

  get custom(): CustomObjectsApi {
    return this.#custom;
  }

  /**
   * A GET on the box's API through the shared dispatcher, the body left as a stream for the caller to
   * bound (watches, pod logs, the heartbeat). `path` includes the query. No byte bound here: the caller reads it.
   */
  async get(
    path: string,
    opts: { signal?: AbortSignal; headersTimeoutMs?: number } = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Readable }> {
    const ctx = new this.#k8s.RequestContext(this.server + path, this.#k8s.HttpMethod.GET);
    const d = (await this.#dispatch(ctx)) as unknown as UndiciRequester | undefined;
    if (!d?.request) throw new FieldlinkError('INTERNAL', 'The k3s API session has no TLS dispatcher.');
    const r = await d.request({
      origin: this.server,
      path,
      method: 'GET',
      headers: { accept: 'application/json, */*', ...ctx.getHeaders() },
      signal: opts.signal,
      headersTimeout: opts.headersTimeoutMs ?? 30_000,
      // Watches and log follows may be quiet for long: their readers time out on their own.
      bodyTimeout: 0,
    });
    return { status: r.statusCode, headers: r.headers, body: r.body };
  }

  /** Reads the box's kubeconfig and opens the tunnel to its API over the pooled SSH connection. */
  static async open(shell: Shell & Forwarding, opts: HealthOptions & { localPort?: number } = {}): Promise<ApiSession> {
    const k8s = loadClientNode();
    // While the kubeconfig is read, open the channels the first requests will use to k3s's usual
    // 127.0.0.1:6443: a round trip saved at 100 ms per trip; dropped if the kubeconfig says otherwise.
    const spares = Array.from({ length: SPARE_CHANNELS }, () => shell.forwardOut(K3S_DEFAULT.host, K3S_DEFAULT.port));
    // Marked as handled: a spare that fails is replaced by a fresh channel when used, or just dropped.
    for (const s of spares) s.catch(() => undefined);
    k8s.catch(() => undefined);
    let tunnel: Tunnel | undefined;
    try {
      const kept = opts.credentials ? fromCache(opts.credentials) : null;
      opts.progress?.(kept ? `using the k3s credentials kept for ${shell.target}` : `reading ${K3S_KUBECONFIG} on ${shell.target}`);
      const { kubeconfig, clock } = kept ? { kubeconfig: kept, clock: null } : await readKubeconfig(shell, { signal: opts.signal, timeoutMs: opts.timeoutMs });
      if (!kept) opts.credentials?.set(JSON.stringify(kubeconfig));
      const usual = kubeconfig.host === K3S_DEFAULT.host && kubeconfig.port === K3S_DEFAULT.port;
      tunnel = await openTunnel(shell, { host: kubeconfig.host, port: kubeconfig.port }, { localPort: opts.localPort, log: opts.log, spares: usual ? spares.splice(0) : [] });
      return new ApiSession(await k8s, shell, kubeconfig, clock, tunnel, !!kept);
    } catch (err) {
      await tunnel?.close();
      throw err;
    } finally {
      for (const s of spares)
        void s.then(
          (ch) => ch.destroy(),
          () => undefined,
        );
    }
  }

  /** Nodes, pods (paged), warning events and metrics, as one snapshot with its diagnosis. */
  async snapshot(opts: HealthOptions = {}): Promise<HealthSnapshot> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    this.#signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    this.#startedAt = Date.now();
    if (this.fromCache) this.#dateClock = null;
    opts.progress?.(`listing nodes, pods and events through the tunnel (127.0.0.1:${this.tunnel.port})`);
    try {
      const [nodes, pods, events, nodeMetrics, podMetrics] = await Promise.all([
        this.#core.listNode(),
        this.#pods(opts),
        this.#core.listEventForAllNamespaces({ fieldSelector: 'type=Warning', limit: MAX_EVENTS }),
        this.#metrics('nodes'),
        this.#metrics('pods'),
      ]);
      const raw: RawHealth = { nodes: nodes.items, pods: pods.items, podTotal: pods.total, events: events.items, nodeMetrics, podMetrics };
      const warningTotal = events.items.length + (events.metadata?.remainingItemCount ?? 0);
      return await finish(raw, {
        target: opts.target ?? this.#shell.target,
        via: 'api',
        clock: this.clock ?? this.#dateClock,
        certPem: this.kubeconfig.cert,
        shell: this.#shell,
        warningTotal,
        signal: this.#signal,
      });
    } catch (err) {
      throw apiError(err, this.#shell.target, timeout.aborted ? timeoutMs : null, opts.signal);
    } finally {
      this.#signal = undefined;
    }
  }

  async #pods(opts: HealthOptions): Promise<{ items: unknown[]; total: number }> {
    const items: unknown[] = [];
    let cont: string | undefined;
    let total = 0;
    let limit = PAGE;
    for (let page = 1; ; page++) {
      let r: Awaited<ReturnType<CoreV1Api['listPodForAllNamespaces']>>;
      try {
        r = await this.#core.listPodForAllNamespaces({ limit, _continue: cont });
      } catch (err) {
        // A page over the byte bound (pods with huge annotations): ask again for fewer pods per page.
        if (!(err instanceof FieldlinkError && err.details?.tooBig) || limit === 1) throw err;
        limit = Math.max(1, Math.floor(limit / 10));
        opts.progress?.(`the box's pods are large: reading ${limit} per page`);
        page--;
        continue;
      }
      for (const p of r.items) if (items.length < MAX_PODS) items.push(p);
      total += r.items.length;
      cont = r.metadata?._continue || undefined;
      if (!cont) break;
      if (items.length >= MAX_PODS) {
        // The rest is only counted: the server says how many remain when it knows.
        total += r.metadata?.remainingItemCount ?? 0;
        break;
      }
      if (page % 4 === 0) opts.progress?.(`${items.length} pods so far`);
    }
    return { items, total };
  }

  /** metrics.k8s.io when it answers (k3s ships metrics-server; a box may have it off): null otherwise. */
  async #metrics(plural: 'nodes' | 'pods'): Promise<unknown[] | null> {
    try {
      const r = (await this.#custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural, limit: MAX_PODS })) as { items?: unknown[] };
      return Array.isArray(r.items) ? r.items : null;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    const d = await this.#dispatcher?.catch(() => undefined);
    await (d as { destroy?: () => Promise<void> } | undefined)?.destroy?.().catch(() => undefined);
    await this.tunnel.close();
  }
}

/** Bytes of one API answer that are read at most: a 500-pod page is ~3 MB, so this leaves room for pods 20 times bigger. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * client-node's own HTTP library with every answer read through a byte bound: a box that returns
 * pods with 1 MB annotations (or garbage without end) costs at most MAX_RESPONSE_BYTES per request.
 */
export function boundedHttp(k8s: ClientNode): ReturnType<ClientNode['wrapHttpLibrary']> {
  const inner = k8s.createConfiguration().httpApi;
  return k8s.wrapHttpLibrary({
    send: async (req) => {
      const r = await inner.send(req).toPromise();
      const read = async (): Promise<Buffer> => {
        const stream = r.body.stream();
        if (!stream) return Buffer.alloc(0);
        const chunks: Uint8Array[] = [];
        let size = 0;
        const reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > MAX_RESPONSE_BYTES) {
            await reader.cancel().catch(() => undefined);
            throw new FieldlinkError('PROTOCOL', `An answer of the box's k3s API is over ${MAX_RESPONSE_BYTES >> 20} MiB; Fieldlink stopped reading it.`, { tooBig: true });
          }
          chunks.push(value);
        }
        return Buffer.concat(chunks);
      };
      let body: Promise<Buffer> | null = null;
      const once = () => (body ??= read());
      return new k8s.ResponseContext(r.httpStatusCode, r.headers, { text: async () => (await once()).toString('utf8'), binary: once, stream: () => null });
    },
  });
}

/** A failure of the API through the tunnel, in words with a next step. */
export function apiError(err: unknown, target: string, timedOutAfter: number | null, signal: AbortSignal | undefined): unknown {
  if (err instanceof FieldlinkError) return err;
  if (signal?.aborted) return new FieldlinkError('ABORTED', `Reading health from ${target} was cancelled.`, { target });
  if (timedOutAfter !== null)
    return new FieldlinkError('TIMEOUT', `The k3s API on ${target} did not answer within ${timedOutAfter / 1000} s. Is k3s running (systemctl status k3s)?`, { target });
  const e = err as { code?: number; message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? '';
  if (cause === 'CERT_HAS_EXPIRED' || cause === 'CERT_NOT_YET_VALID') {
    return new FieldlinkError(
      'PROTOCOL',
      `The k3s API on ${target} presented a certificate that is ${cause === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} by this laptop's clock. Check the laptop's and the box's clock (date on the Console); if both are right, restart k3s on the box to renew its certificates.`,
      { target },
    );
  }
  if (/CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO_VERIFY/.test(cause) || /certificate|altname/i.test(e?.cause?.message ?? '')) {
    return new FieldlinkError(
      'PROTOCOL',
      `The k3s API on ${target} presented a certificate its own CA does not vouch for (${cause || 'TLS'}). Nothing was read; the kubeconfig on the box may belong to another cluster.`,
      { target },
    );
  }
  if (e?.code === 401 || e?.code === 403)
    return new FieldlinkError(
      'AUTH_FAILED',
      `The k3s API on ${target} refused the box's admin certificate (HTTP ${e.code}). Is it expired or from an older install? Restart k3s on the box to renew it.`,
      { target },
    );
  if (typeof e?.code === 'number') return new FieldlinkError('REMOTE_FAILED', `The k3s API on ${target} answered HTTP ${e.code}.`, { target, status: e.code });
  return new FieldlinkError(
    'LINK_DOWN',
    `Could not reach the k3s API on ${target} through the tunnel (${(cause || e?.message || 'no answer').slice(0, 120)}). Is k3s running (systemctl status k3s)?`,
    { target },
    { cause: err },
  );
}

interface FinishContext {
  target: string;
  via: 'api' | 'shell';
  clock: BoxClock | null;
  certPem: string | null;
  shell: Shell | null;
  warningTotal?: number;
  signal?: AbortSignal;
}

/** Model, clock, certificate and (under disk pressure) df, then the diagnosis. */
async function finish(raw: RawHealth, c: FinishContext): Promise<HealthSnapshot> {
  const m = buildModel(raw);
  const cert = c.certPem ? certInfo(c.certPem) : null;
  const disk = c.shell && m.nodes.some((n) => n.pressure.includes('DiskPressure')) ? await diskUse(c.shell, c.signal) : null;
  const snap: HealthSnapshot = {
    target: c.target,
    via: c.via,
    link: c.shell?.kind ?? 'ssh',
    takenAt: new Date().toISOString(),
    ...m,
    warningCount: Math.max(m.warningCount, c.warningTotal ?? 0),
    clock: c.clock ? { skewMs: c.clock.boxMs - c.clock.laptopMs, uncertaintyMs: c.clock.uncertaintyMs } : null,
    clientCert: cert,
    disk,
    diagnosis: [],
  };
  snap.diagnosis = diagnose(snap);
  return snap;
}

/** `df` of the places k3s fills, for "how full" under disk pressure; null when the box will not say. */
export async function diskUse(shell: Shell, signal?: AbortSignal): Promise<HealthSnapshot['disk']> {
  try {
    const r = await shell.exec('df -P -k /var/lib/rancher /var/lib/kubelet /var/log / 2>/dev/null', { signal, timeoutMs: 15_000, maxOutputBytes: 16 * 1024 });
    return parseDf(Buffer.from(r.stdout).toString('utf8'));
  } catch {
    return null;
  }
}

export function parseDf(text: string): NonNullable<HealthSnapshot['disk']> {
  const seen = new Map<string, { mount: string; usedPct: number; availBytes: number }>();
  for (const line of text.split('\n').slice(1, 20)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const pct = Number(f[4]!.replace('%', ''));
    const avail = Number(f[3]) * 1024;
    const mount = f.slice(5).join(' ').slice(0, 200);
    if (Number.isFinite(pct) && Number.isFinite(avail) && !seen.has(mount)) seen.set(mount, { mount, usedPct: pct, availBytes: avail });
  }
  return [...seen.values()];
}

/** Health through the k3s API over an SSH tunnel (the pooled connection): kubeconfig, tunnel, lists, closed after. */
export async function healthOverApi(shell: Shell & Forwarding, opts: HealthOptions = {}): Promise<HealthSnapshot> {
  const session = await ApiSession.open(shell, opts);
  try {
    return await session.snapshot(opts);
  } catch (err) {
    // Only a refusal of the credentials themselves is worth a second try; a box that does not answer will not answer twice.
    const refused = err instanceof FieldlinkError && (err.code === 'AUTH_FAILED' || err.code === 'PROTOCOL');
    if (!session.fromCache || !refused || opts.signal?.aborted) throw err;
    // Kept credentials the box no longer takes (reinstalled, rotated): forget them, read the box's own.
    opts.log?.info({ target: shell.target, err: (err as Error)?.message }, 'kept k3s credentials refused; reading the kubeconfig again');
    opts.credentials?.forget();
  } finally {
    await session.close();
  }
  const fresh = await ApiSession.open(shell, { ...opts, credentials: opts.credentials && { ...opts.credentials, get: () => undefined } });
  try {
    return await fresh.snapshot(opts);
  } finally {
    await fresh.close();
  }
}

/** Kept credentials, if they parse and the certificate is not close to expiry (then the box's own, maybe renewed, is read). */
function fromCache(cache: CredentialCache): BoxKubeconfig | null {
  try {
    const v = cache.get();
    if (!v) return null;
    const kc = JSON.parse(v) as BoxKubeconfig;
    const ok =
      typeof kc.ca === 'string' &&
      typeof kc.cert === 'string' &&
      typeof kc.key === 'string' &&
      typeof kc.host === 'string' &&
      typeof kc.port === 'number' &&
      typeof kc.serverName === 'string';
    const until = kc.certNotAfter ? Date.parse(kc.certNotAfter) : NaN;
    return ok && Number.isFinite(until) && until - Date.now() > CERT_WARN_DAYS * 86_400_000 ? kc : null;
  } catch {
    return null;
  }
}

/**
 * Health over any Shell, with no network: `k3s kubectl get nodes,pods,events -A -o json` on the box
 * (compressed with gzip where the box has it: a console moves ~11 KB/s), bounded, into the same model.
 */
export async function healthOverShell(shell: Shell, opts: HealthOptions = {}): Promise<HealthSnapshot> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  opts.progress?.(`reading the box's clock over ${shell.target}`);
  const t0 = Date.now();
  const d = await shell.exec('date -u +%s%N', { signal: opts.signal, timeoutMs: 30_000, maxOutputBytes: 1024 });
  const clock = parseClock(Buffer.from(d.stdout).toString('utf8'), t0, Date.now());
  opts.progress?.(`running k3s kubectl get nodes,pods,events -A -o json on the box`);
  const script = asRoot(
    `{ k3s kubectl get nodes,pods,events -A -o json --request-timeout=60s; printf '\\n@@FL-CERT@@ '; sed -n 's/^ *client-certificate-data: *//p' ${K3S_KUBECONFIG}; } | if command -v gzip >/dev/null 2>&1; then gzip -c; else cat; fi`,
  );
  const r = await shell.exec(script, { signal: opts.signal, timeoutMs, maxOutputBytes: MAX_SERIAL_BYTES });
  if (r.truncated)
    throw new FieldlinkError(
      'PROTOCOL',
      `The box's answer is over ${MAX_SERIAL_BYTES >> 20} MiB compressed: too big for the console. Use the network (health over SSH) for a box this size.`,
      { target: shell.target },
    );
  let text: string;
  try {
    const buf = Buffer.from(r.stdout);
    text = (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf, { maxOutputLength: MAX_JSON_BYTES }) : buf).toString('utf8');
  } catch (err) {
    throw new FieldlinkError(
      'PROTOCOL',
      `The box's kubectl output did not decompress (over ${MAX_JSON_BYTES >> 20} MiB, or damaged on the line).`,
      { target: shell.target },
      { cause: err },
    );
  }
  const cut = text.lastIndexOf('\n@@FL-CERT@@ ');
  const json = cut >= 0 ? text.slice(0, cut) : text;
  const certB64 = cut >= 0 ? text.slice(cut + '\n@@FL-CERT@@ '.length).trim() : '';
  let list: { items?: unknown[] };
  try {
    list = JSON.parse(json) as { items?: unknown[] };
  } catch {
    const why = Buffer.from(r.stderr).toString('utf8').trim().slice(0, 300);
    throw new FieldlinkError('REMOTE_FAILED', `k3s kubectl on ${shell.target} gave no usable answer${why ? `: ${why}` : ''}. Is k3s running (systemctl status k3s)?`, {
      target: shell.target,
    });
  }
  const items = Array.isArray(list?.items) ? list.items : [];
  const kind = (o: unknown) => (typeof o === 'object' && o !== null ? (o as { kind?: unknown }).kind : undefined);
  const raw: RawHealth = { nodes: items.filter((o) => kind(o) === 'Node'), pods: items.filter((o) => kind(o) === 'Pod'), events: items.filter((o) => kind(o) === 'Event') };
  const certPem = /^[A-Za-z0-9+/=]{100,20000}$/.test(certB64) ? Buffer.from(certB64, 'base64').toString('utf8') : null;
  return finish(raw, { target: opts.target ?? shell.target, via: 'shell', clock, certPem, shell, signal: opts.signal });
}

/** Health by the best way the shell allows: the API through a tunnel over SSH, `kubectl -o json` over a console. */
export function healthOf(shell: Shell, opts: HealthOptions = {}): Promise<HealthSnapshot> {
  return canForward(shell) ? healthOverApi(shell, opts) : healthOverShell(shell, opts);
}

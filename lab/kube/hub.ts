import fs from 'node:fs/promises';
import path from 'node:path';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';
import { FieldlinkError } from '../../shared/errors.ts';
import { parseK3sArgs, type ServerJson } from './box-config.ts';
import { boxPaths, ensureServerToken, readBoxSetup, tokenMatches, type BoxSetup } from './box-files.ts';
import { ensureBoxCerts, type BoxCerts } from './certs.ts';
import { Cluster, type NodeSpec } from './cluster.ts';
import { handle, HttpError, sendStatus, type BoxApi } from './api.ts';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';

/**
 * The lab's one process for every box's Kubernetes API: it watches `<state>/boxes/<name>/k3s/server.json`
 * and serves each server box's API over HTTPS on a unix socket in that box's k3s folder (the box
 * relays its :6443 to it). Agents join the server their K3S_URL names. 50 boxes cost one process.
 */

export interface HubOptions {
  stateDir: string;
  /** Scenario speed for boxes whose server.json does not set timeScale. */
  timeScale?: number;
  /** How often box folders are checked for server.json appearing, changing or going. */
  pollMs?: number;
  historyLimit?: number;
  bookmarkMs?: number;
  warmupMs?: number;
  maxWatchMs?: number;
  /** Open watches plus log follows allowed per box. */
  maxStreams?: number;
  logger?: Logger;
}

interface ServerBox {
  name: string;
  dir: string;
  stamp: string;
  setup: BoxSetup;
  cluster: Cluster;
  certs: BoxCerts;
  token: string;
  server: https.Server | null;
  sockets: Set<import('node:stream').Duplex>;
}

interface AgentBox {
  name: string;
  stamp: string;
  setup: BoxSetup;
  joined: string | null;
}

const CLUSTER_KEYS: (keyof ServerJson)[] = ['scenario', 'hostname', 'ip', 'arch', 'k3sVersion', 'timeScale'];

export class Hub {
  private readonly opts: Required<Omit<HubOptions, 'logger'>>;
  private readonly log: Logger;
  private readonly servers = new Map<string, ServerBox>();
  /** Clusters outlive a stop/start of k3s, as etcd's data does; dropped when the box folder goes. */
  private readonly clusters = new Map<string, { cluster: Cluster; key: string; bootId: string | null }>();
  private readonly agents = new Map<string, AgentBox>();
  private readonly broken = new Map<string, string>();
  private pollTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;

  constructor(opts: HubOptions) {
    this.opts = {
      stateDir: opts.stateDir,
      timeScale: opts.timeScale ?? 1,
      pollMs: opts.pollMs ?? 500,
      // Like kine's compaction window: enough for informers to resume after a blip, bounded for 50 boxes.
      historyLimit: opts.historyLimit ?? 2000,
      bookmarkMs: opts.bookmarkMs ?? 0,
      warmupMs: opts.warmupMs ?? 10 * 60_000,
      maxWatchMs: opts.maxWatchMs ?? 30 * 60_000,
      maxStreams: opts.maxStreams ?? 256,
    };
    this.log = opts.logger ?? pino({ name: 'kube-hub', level: process.env.FIELDLINK_LOG_LEVEL ?? 'info' }, pino.destination(2));
  }

  async start(): Promise<void> {
    await fs.mkdir(path.join(this.opts.stateDir, 'boxes'), { recursive: true });
    await this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.opts.pollMs);
    // Scenario time moves on even when nobody asks, so watches see restarts and events arrive.
    this.tickTimer = setInterval(() => {
      const now = Date.now();
      for (const [name, c] of this.clusters) {
        try {
          c.cluster.advance(now);
        } catch (err) {
          // A scenario bug on one box must not take the other 49 boxes' APIs down with it.
          this.log.error({ box: name, err }, 'scenario step failed');
        }
      }
    }, 250);
  }

  /** Box names whose API is being served now. */
  serving(): string[] {
    return [...this.servers.values()]
      .filter((s) => s.server)
      .map((s) => s.name)
      .sort();
  }

  cluster(name: string): Cluster | undefined {
    return this.clusters.get(name)?.cluster;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.polling;
    await Promise.all([...this.servers.values()].map((s) => this.stopServer(s)));
    this.servers.clear();
  }

  /** One pass over the box folders; passes never overlap. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = this.reconcile()
      .catch((err: unknown) => this.log.error({ err }, 'box scan failed'))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async reconcile(): Promise<void> {
    const boxesDir = path.join(this.opts.stateDir, 'boxes');
    let names: string[] = [];
    try {
      names = (await fs.readdir(boxesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      names = [];
    }
    const present = new Map<string, string>();
    await Promise.all(
      names.map(async (name) => {
        try {
          const st = await fs.stat(boxPaths(path.join(boxesDir, name)).serverJson);
          present.set(name, `${st.ino}:${st.mtimeMs}:${st.size}`);
        } catch {
          // No server.json: k3s is not running on this box.
        }
      }),
    );
    if (this.closed) return;
    for (const [name, s] of [...this.servers]) {
      if (present.get(name) !== s.stamp) {
        await this.stopServer(s);
        this.servers.delete(name);
        if (!present.has(name)) await this.writeStatus(s.dir, { state: 'stopped' });
        this.log.info({ box: name }, 'k3s stopped');
      }
    }
    for (const [name, a] of [...this.agents]) {
      if (present.get(name) !== a.stamp) {
        this.leave(a);
        this.agents.delete(name);
        if (!present.has(name)) await this.writeStatus(path.join(boxesDir, name), { state: 'stopped' });
      }
    }
    for (const name of this.clusters.keys()) if (!names.includes(name)) this.clusters.delete(name);
    for (const [name, stamp] of present) {
      if (this.servers.has(name) || this.agents.has(name) || this.broken.get(name) === stamp) continue;
      const dir = path.join(boxesDir, name);
      try {
        const setup = await readBoxSetup(dir);
        if (this.closed) return;
        if (setup.spec.role === 'agent') this.agents.set(name, { name, stamp, setup, joined: null });
        else await this.startServer(name, dir, stamp, setup);
        this.broken.delete(name);
      } catch (err) {
        // Remembered by stamp so a bad file is reported once, not every poll, until it changes.
        this.broken.set(name, stamp);
        const msg = err instanceof Error ? err.message : String(err);
        this.log.warn({ box: name, err: msg }, 'cannot serve box');
        await this.writeStatus(dir, { state: 'error', message: msg });
      }
    }
    for (const a of this.agents.values()) if (!a.joined) await this.join(a);
  }

  private async startServer(name: string, dir: string, stamp: string, setup: BoxSetup): Promise<void> {
    const p = boxPaths(dir);
    const spec = setup.spec;
    const flags = parseK3sArgs(setup.args);
    const nodeName = flags.nodeName ?? spec.hostname;
    // No token means k3s's data dir is new (first start, or after k3s-uninstall.sh): a new cluster
    // gets new CAs and empty state, as real k3s would, instead of inheriting the old identity.
    const fresh = !(await fs.stat(p.token).then(
      () => true,
      () => false,
    ));
    if (fresh) {
      await fs.rm(p.tls, { recursive: true, force: true });
      this.clusters.delete(name);
    }
    const certs = await ensureBoxCerts(p.tls, spec.hostname, spec.ip);
    const token = await ensureServerToken(dir, certs.serverCa, flags.token ?? setup.env.K3S_TOKEN);
    const key = JSON.stringify([CLUSTER_KEYS.map((k) => spec[k]), setup.args]);
    // lab-boot writes a new boot id each time the box boots; k3s restarting alone keeps it.
    const bootId = (await fs.readFile(p.bootId, 'utf8').catch(() => '')).trim().slice(0, 64) || null;
    let entry = this.clusters.get(name);
    if (!entry || entry.key !== key) {
      const node: NodeSpec = { name: nodeName, ip: spec.ip, arch: spec.arch, role: 'server', k3sVersion: spec.k3sVersion, labels: flags.nodeLabels, taints: flags.nodeTaints };
      const cluster = new Cluster({
        scenario: spec.scenario,
        server: node,
        flags,
        seed: `${name}/${spec.scenario}`,
        timeScale: spec.timeScale ?? this.opts.timeScale,
        historyLimit: this.opts.historyLimit,
        warmupMs: this.opts.warmupMs,
      });
      entry = { cluster, key, bootId };
      this.clusters.set(name, entry);
    } else if (bootId && entry.bootId && bootId !== entry.bootId) {
      entry.cluster.nodeRebooted(Date.now(), bootId);
      this.log.info({ box: name }, 'box rebooted: its containers restart');
    }
    entry.bootId = bootId ?? entry.bootId;
    const cluster = entry.cluster;
    const api: BoxApi = {
      cluster,
      k3sVersion: spec.k3sVersion,
      arch: spec.arch,
      ip: spec.ip,
      metrics: !flags.disable.has('metrics-server'),
      bookmarkMs: this.opts.bookmarkMs > 0 ? this.opts.bookmarkMs : Math.max(250, 15_000 / cluster.timeScale),
      maxWatchMs: this.opts.maxWatchMs,
      streams: { open: 0, max: this.opts.maxStreams },
    };
    const box: ServerBox = { name, dir, stamp, setup, cluster, certs, token, server: null, sockets: new Set() };
    const server = https.createServer(
      { key: certs.serverKey, cert: certs.serverCert, ca: [certs.clientCa], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (req, res) => {
        // k3s runs with anonymous auth off: no verified client certificate, no answer but 401.
        if (!(req.socket as TLSSocket).authorized) return sendStatus(res, new HttpError(401, 'Unauthorized', 'Unauthorized'));
        handle(api, req, res);
      },
    );
    server.on('connection', (s) => {
      box.sockets.add(s);
      s.on('close', () => box.sockets.delete(s));
    });
    server.on('tlsClientError', () => {
      // A client that fails the handshake (wrong CA, plain HTTP) is its own problem; nothing to log per box.
    });
    await fs.rm(p.socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p.socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(p.socket, 0o660);
    box.server = server;
    this.servers.set(name, box);
    await writeKubeconfig(p.kubeconfig, renderKubeconfig(certs), setup.kubeconfigMode);
    await this.writeStatus(dir, { state: 'serving', scenario: spec.scenario, node: nodeName });
    this.log.info({ box: name, scenario: spec.scenario, socket: p.socket }, 'k3s API serving');
  }

  private async stopServer(s: ServerBox): Promise<void> {
    const server = s.server;
    s.server = null;
    if (!server) return;
    for (const sock of s.sockets) sock.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(boxPaths(s.dir).socket, { force: true });
    // Agents that joined it lose their server; they will rejoin when it returns.
    for (const a of this.agents.values()) if (a.joined === s.name) a.joined = null;
  }

  /** An agent joins the server its K3S_URL names, if the token matches, as k3s agents do. */
  private async join(a: AgentBox): Promise<void> {
    const flags = parseK3sArgs(a.setup.args);
    const url = flags.server ?? a.setup.env.K3S_URL ?? a.setup.spec.serverUrl;
    const token = flags.token ?? a.setup.env.K3S_TOKEN ?? a.setup.spec.token;
    const dir = path.join(this.opts.stateDir, 'boxes', a.name);
    let host: string | undefined;
    try {
      host = url ? new URL(url).hostname : undefined;
    } catch {
      host = undefined;
    }
    if (!host) {
      await this.writeStatus(dir, { state: 'error', message: 'k3s agent has no valid K3S_URL (https://SERVER:6443)' });
      return;
    }
    const server = [...this.servers.values()].find((s) => s.server && (s.setup.spec.ip === host || s.setup.spec.hostname === host));
    if (!server) {
      await this.writeStatus(dir, { state: 'waiting', message: `no k3s server answers at ${url}` });
      return;
    }
    if (!tokenMatches(server.token, token)) {
      // A wrong token is refused every poll, like the real agent's retry loop.
      await this.writeStatus(dir, { state: 'error', message: `the server at ${url} refused the token (401 Unauthorized)` });
      return;
    }
    const spec = a.setup.spec;
    const node: NodeSpec = {
      name: flags.nodeName ?? spec.hostname,
      ip: spec.ip,
      arch: spec.arch,
      role: 'agent',
      k3sVersion: spec.k3sVersion,
      labels: flags.nodeLabels,
      taints: flags.nodeTaints,
    };
    server.cluster.nodeBack(node, Date.now());
    a.joined = server.name;
    await this.writeStatus(dir, { state: 'joined', server: server.name, node: node.name });
    this.log.info({ box: a.name, server: server.name }, 'k3s agent joined');
  }

  private leave(a: AgentBox): void {
    if (!a.joined) return;
    const flags = parseK3sArgs(a.setup.args);
    this.clusters.get(a.joined)?.cluster.nodeLost(flags.nodeName ?? a.setup.spec.hostname, Date.now());
  }

  private async writeStatus(dir: string, status: Record<string, unknown>): Promise<void> {
    const file = boxPaths(dir).status;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(`${file}.tmp`, `${JSON.stringify({ ...status, at: new Date().toISOString() })}\n`);
      await fs.rename(`${file}.tmp`, file);
    } catch {
      // The box folder is going away; nothing to report to.
    }
  }
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const hub = new Hub(opts);
  await hub.start();
  return hub;
}

function parseArgs(argv: string[]): HubOptions {
  const opts: HubOptions = { stateDir: process.env.FIELDLINK_LAB_DIR || '/run/fieldlink-lab' };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0) throw new FieldlinkError('BAD_REQUEST', `${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    switch (a) {
      case '--state':
        if (!v) throw new FieldlinkError('BAD_REQUEST', '--state needs a folder');
        opts.stateDir = v;
        i++;
        break;
      case '--time-scale':
        opts.timeScale = num(a, v);
        i++;
        break;
      case '--poll-ms':
        opts.pollMs = num(a, v);
        i++;
        break;
      case '--watch-history':
        opts.historyLimit = num(a, v);
        i++;
        break;
      default:
        throw new FieldlinkError('BAD_REQUEST', `unknown option ${a}; usage: hub.ts [--state DIR] [--time-scale N] [--poll-ms MS] [--watch-history N]`);
    }
  }
  if (process.env.FIELDLINK_KUBE_TIME_SCALE && opts.timeScale === undefined) opts.timeScale = num('FIELDLINK_KUBE_TIME_SCALE', process.env.FIELDLINK_KUBE_TIME_SCALE);
  return opts;
}

if (import.meta.main) {
  let opts: HubOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const hub = await startHub(opts);
  const stop = () => {
    void hub.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

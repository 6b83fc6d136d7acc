import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from './cluster.ts';
import { apiGroups, apiVersions, coreResources, leaseResources, LEASE_GV, metricsResources, openApiV2, openApiV3Doc, openApiV3Index, versionInfo } from './discovery.ts';
import { instanceLines, rfc3339Nano, MAX_LOG_LINES, type LogInstance, type LogLine } from './logs.ts';
import { nodeMetrics, podMetrics } from './metrics.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Matcher } from './selectors.ts';
import { ExpiredError, type Change, type KubeObject, type Resource } from './store.ts';
import { toTable, type IncludeObject } from './table.ts';

/**
 * The HTTP surface of one box's API server: a hand-written router over node:http for the read-only
 * subset kubectl and client-node use (see lab/kube/README.md). Answers carry the real server's
 * status codes and Status bodies, because clients branch on them (410 relists, 404, 400).
 */

export interface BoxApi {
  cluster: Cluster;
  k3sVersion: string;
  arch: string;
  ip: string;
  metrics: boolean;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkMs: number;
  /** Upper bound on a watch's life when the client gives no timeoutSeconds. */
  maxWatchMs: number;
  /** Open watches and log follows on this box, and the cap on them (429 beyond it). */
  streams: { open: number; max: number };
}

/** Counts a long-lived response against the box's cap; returns false (and answers 429) when full. */
function admitStream(api: BoxApi, res: ServerResponse): boolean {
  if (api.streams.open >= api.streams.max) {
    res.setHeader('Retry-After', '1');
    sendStatus(
      res,
      new HttpError(429, 'TooManyRequests', `too many open watches and log streams on this box (${api.streams.max}); close some and retry`, { retryAfterSeconds: 1 }),
    );
    return false;
  }
  api.streams.open++;
  res.once('close', () => api.streams.open--);
  return true;
}

/** A watch whose client stops reading is cut rather than buffering without end. */
const MAX_WATCH_BUFFER = 16 * 1024 * 1024;
const KINDS: Record<Resource, string> = { nodes: 'Node', pods: 'Pod', events: 'Event', namespaces: 'Namespace', leases: 'Lease' };
const NAMESPACED: Record<Resource, boolean> = { nodes: false, pods: true, events: true, namespaces: false, leases: true };
const GROUP_VERSION: Record<Resource, string> = { nodes: 'v1', pods: 'v1', events: 'v1', namespaces: 'v1', leases: LEASE_GV };
/** Which resources each served group/version path holds. */
const GROUPS: Record<string, Resource[]> = { 'api/v1': ['nodes', 'pods', 'events', 'namespaces'], [`apis/${LEASE_GV}`]: ['leases'] };

const jsonCache = new WeakMap<KubeObject, string>();
function objJson(o: KubeObject): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

export class HttpError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: number, reason: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function send(res: ServerResponse, code: number, body: string, type = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

function sendJson(res: ServerResponse, code: number, obj: unknown, type?: string): void {
  send(res, code, JSON.stringify(obj), type);
}

export function sendStatus(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.code, statusBody(err.code, err.reason, err.message, err.details));
}

const notFound = (resource: string, name: string) => new HttpError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });

interface Accept {
  table: boolean;
  include: IncludeObject;
}

function negotiate(req: IncomingMessage, q: URLSearchParams): Accept {
  const accept = String(req.headers.accept ?? '');
  const parts = accept
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const table = parts.some((p) => /as=Table/.test(p) && /g=meta\.k8s\.io/.test(p));
  const jsonOk = parts.length === 0 || parts.some((p) => /^(application\/json|\*\/\*|application\/\*)/.test(p));
  if (!jsonOk) throw new HttpError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`);
  const inc = q.get('includeObject');
  const include: IncludeObject = inc === 'None' || inc === 'Object' ? inc : 'Metadata';
  return { table, include };
}

interface Target {
  kind: 'list' | 'get' | 'log' | 'metrics-nodes' | 'metrics-pods';
  resource: Resource;
  namespace?: string;
  name?: string;
  watchPath: boolean;
}

/** /api/v1/[watch/][namespaces/NS/]RES[/NAME[/log]] and the metrics group. */
function route(path: string): Target | 'discovery' | null {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (seg[0] === 'apis' && seg[1] === 'metrics.k8s.io' && seg[2] === 'v1beta1') {
    const rest = seg.slice(3);
    if (rest.length === 0) return 'discovery';
    if (rest[0] === 'nodes' && rest.length <= 2) return { kind: 'metrics-nodes', resource: 'nodes', name: rest[1], watchPath: false };
    if (rest[0] === 'pods' && rest.length === 1) return { kind: 'metrics-pods', resource: 'pods', watchPath: false };
    if (rest[0] === 'namespaces' && rest[2] === 'pods' && rest.length <= 4) {
      return { kind: 'metrics-pods', resource: 'pods', namespace: rest[1], name: rest[3], watchPath: false };
    }
    return null;
  }
  const prefix = seg[0] === 'api' ? 2 : 3;
  const allowed = GROUPS[seg.slice(0, prefix).join('/')];
  if (!allowed) return null;
  let rest = seg.slice(prefix);
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = rest[0] as Resource;
  if (!allowed.includes(resource)) return null;
  if (namespace !== undefined && !NAMESPACED[resource]) return null;
  if (rest.length === 1) return { kind: 'list', resource, namespace, watchPath };
  if (rest.length === 2) return { kind: 'get', resource, namespace, name: rest[1], watchPath };
  if (rest.length === 3 && resource === 'pods' && rest[2] === 'log' && namespace !== undefined && !watchPath) {
    return { kind: 'log', resource, namespace, name: rest[1], watchPath };
  }
  return null;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function intParam(q: URLSearchParams, name: string, min = 0): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, 'BadRequest', `${name}: invalid value '${v}': must be an integer`);
  const n = Number(v);
  if (n < min) throw new HttpError(400, 'BadRequest', `${name}: invalid value '${v}': must be greater than or equal to ${min}`);
  return n;
}

export function handle(api: BoxApi, req: IncomingMessage, res: ServerResponse): void {
  try {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (the lab API server is read-only)`);
    }
    const now = Date.now();
    api.cluster.advance(now);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    switch (path) {
      case '/version':
        return sendJson(res, 200, versionInfo(api.k3sVersion, api.arch));
      case '/healthz':
      case '/livez':
      case '/readyz':
        return send(res, 200, 'ok', 'text/plain; charset=utf-8');
      case '/api':
        return sendJson(res, 200, apiVersions(api.ip));
      case '/api/v1':
        return sendJson(res, 200, coreResources());
      case '/apis':
        return sendJson(res, 200, apiGroups(api.metrics, api.ip));
      case `/apis/${LEASE_GV}`:
        return sendJson(res, 200, leaseResources());
      case '/openapi/v2':
        if (!/json|\*\/\*/.test(String(req.headers.accept ?? 'application/json'))) {
          throw new HttpError(406, 'NotAcceptable', 'the lab API server serves OpenAPI v2 as JSON only');
        }
        return sendJson(res, 200, openApiV2(api.k3sVersion));
      case '/openapi/v3':
        return sendJson(res, 200, openApiV3Index());
      case '/openapi/v3/api/v1':
      case '/openapi/v3/apis/metrics.k8s.io/v1beta1':
        return sendJson(res, 200, openApiV3Doc(api.k3sVersion));
    }
    const target = route(path);
    if (target === null) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    if (target === 'discovery') {
      if (!api.metrics) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      return sendJson(res, 200, metricsResources());
    }
    switch (target.kind) {
      case 'metrics-nodes':
      case 'metrics-pods':
        return serveMetrics(api, target, q, res, now);
      case 'log':
        return serveLogs(api, target.namespace!, target.name!, q, req, res);
      case 'get':
        if (target.watchPath || boolParam(q, 'watch')) {
          return serveWatch(api, target.resource, target.namespace, target.name, q, req, res);
        }
        return serveGet(api, target.resource, target.namespace, target.name!, q, req, res, now);
      case 'list':
        if (target.watchPath || boolParam(q, 'watch')) return serveWatch(api, target.resource, target.namespace, undefined, q, req, res);
        return serveList(api, target.resource, target.namespace, q, req, res, now);
    }
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) return sendStatus(res, err);
    if (err instanceof SelectorError) return sendStatus(res, new HttpError(400, 'BadRequest', err.message));
    sendStatus(res, new HttpError(500, 'InternalError', 'an error on the server has prevented the request from succeeding'));
  }
}

function serveGet(api: BoxApi, resource: Resource, namespace: string | undefined, name: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, now: number): void {
  const accept = negotiate(req, q);
  const key = namespace ? `${namespace}/${name}` : name;
  const obj = api.cluster.store.get(resource, key);
  if (!obj) throw notFound(resource, name);
  if (accept.table) {
    return sendJson(
      res,
      200,
      toTable(resource, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, accept.include, now),
      'application/json;as=Table;v=v1;g=meta.k8s.io',
    );
  }
  send(res, 200, objJson(obj));
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: `${t.start}\u0000` })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string') throw new Error('shape');
    return { rv: raw.rv, start: raw.start.endsWith('\u0000') ? raw.start.slice(0, -1) : raw.start };
  } catch {
    throw new HttpError(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function matchers(resource: Resource, q: URLSearchParams, namespace: string | undefined, name?: string): Matcher {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(resource, q.get('fieldSelector'));
  return (o) => (namespace === undefined || o.metadata.namespace === namespace) && (name === undefined || o.metadata.name === name) && labels(o) && fields(o);
}

function serveList(api: BoxApi, resource: Resource, namespace: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, now: number): void {
  const accept = negotiate(req, q);
  const match = matchers(resource, q, namespace);
  const limit = intParam(q, 'limit') || undefined;
  const cont = q.get('continue');
  const store = api.cluster.store;
  let at: number | undefined;
  let start = '';
  if (cont) {
    const tok = decodeContinue(cont);
    at = tok.rv;
    start = tok.start;
  } else {
    const rv = q.get('resourceVersion');
    if (rv && rv !== '0') {
      if (!/^\d+$/.test(rv)) throw new HttpError(400, 'BadRequest', `invalid resource version: ${rv}`);
      if (q.get('resourceVersionMatch') === 'Exact') at = Number(rv);
      else if (Number(rv) > store.resourceVersion) {
        throw new HttpError(504, 'Timeout', `Too large resource version: ${rv}, current: ${store.resourceVersion}`, {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        });
      }
    }
  }
  let snap;
  try {
    snap = store.list(resource, at);
  } catch (err) {
    if (err instanceof ExpiredError) {
      throw new HttpError(
        410,
        'Expired',
        cont
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
          : `The resourceVersion for the provided list is too old.`,
      );
    }
    throw err;
  }
  // Keys are sorted: skip to the first key after the continue point with a binary search.
  let i = 0;
  if (start) {
    let lo = 0;
    let hi = snap.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (snap.keys[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    i = lo;
  }
  const items: KubeObject[] = [];
  let last = '';
  let more = false;
  for (; i < snap.items.length; i++) {
    const o = snap.items[i]!;
    if (!match(o)) continue;
    if (limit !== undefined && items.length >= limit) {
      more = true;
      break;
    }
    items.push(o);
    last = snap.keys[i]!;
  }
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(snap.rv) };
  if (more) {
    meta.continue = encodeContinue({ rv: snap.rv, start: last });
    if (!q.get('labelSelector') && !q.get('fieldSelector')) {
      let remaining = 0;
      for (; i < snap.items.length; i++) if (match(snap.items[i]!)) remaining++;
      meta.remainingItemCount = remaining;
    }
  }
  if (accept.table) {
    return sendJson(res, 200, toTable(resource, items, meta, accept.include, now), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  }
  const head = JSON.stringify({ kind: `${KINDS[resource]}List`, apiVersion: GROUP_VERSION[resource], metadata: meta });
  send(res, 200, `${head.slice(0, -1)},"items":[${items.map(objJson).join(',')}]}`);
}

function serveWatch(api: BoxApi, resource: Resource, namespace: string | undefined, name: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const accept = negotiate(req, q);
  const match = matchers(resource, q, namespace, name);
  const store = api.cluster.store;
  const rvParam = q.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw new HttpError(400, 'BadRequest', `invalid resource version: ${rvParam}`);
  const bookmarks = boolParam(q, 'allowWatchBookmarks');
  const initial = q.get('sendInitialEvents');
  const timeoutS = intParam(q, 'timeoutSeconds');
  const lifetime = Math.min(timeoutS ? timeoutS * 1000 : api.maxWatchMs, api.maxWatchMs);
  if (initial === 'true' && !bookmarks) {
    throw new HttpError(422, 'Invalid', 'sendInitialEvents is forbidden for watch unless allowWatchBookmarks=true');
  }

  if (!admitStream(api, res)) return;
  res.writeHead(200, {
    'Content-Type': accept.table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // Send the head now: client-go waits for it before it treats the watch as established.
  res.flushHeaders();
  let first = true;
  let closed = false;
  let lastRv = store.resourceVersion;
  const write = (type: string, obj: KubeObject | Record<string, unknown>) => {
    if (closed) return;
    let body: string;
    if (accept.table && type !== 'ERROR' && type !== 'BOOKMARK') {
      const t = toTable(resource, [obj as KubeObject], { resourceVersion: (obj as KubeObject).metadata.resourceVersion ?? '' }, accept.include, Date.now(), first);
      first = false;
      body = JSON.stringify({ type, object: t });
    } else {
      body = `{"type":"${type}","object":${type === 'ERROR' || type === 'BOOKMARK' ? JSON.stringify(obj) : objJson(obj as KubeObject)}}`;
    }
    res.write(`${body}\n`);
    if (res.writableLength > MAX_WATCH_BUFFER) stop();
  };
  const onChange = (c: Change) => {
    lastRv = c.rv;
    if (c.resource !== resource) return;
    const now = match(c.obj);
    const before = c.prev ? match(c.prev) : false;
    if (c.type === 'ADDED') {
      if (now) write('ADDED', c.obj);
    } else if (c.type === 'MODIFIED') {
      if (now && before) write('MODIFIED', c.obj);
      else if (now) write('ADDED', c.obj);
      else if (before) write('DELETED', c.obj);
    } else if (before) {
      write('DELETED', c.obj);
    }
  };
  let unsubscribe: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  req.on('close', stop);
  res.on('error', stop);

  if (rvParam === '' || rvParam === '0' || initial === 'true') {
    // "Start at most recent" (or watch-list): the current state as ADDED, then live changes.
    const snap = store.list(resource);
    for (const o of snap.items) if (match(o)) write('ADDED', o);
    if (initial === 'true') {
      write('BOOKMARK', {
        kind: KINDS[resource],
        apiVersion: GROUP_VERSION[resource],
        metadata: { resourceVersion: String(snap.rv), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
    unsubscribe = store.watch(snap.rv, onChange);
  } else {
    try {
      unsubscribe = store.watch(Number(rvParam), onChange);
    } catch (err) {
      if (!(err instanceof ExpiredError)) throw err;
      write('ERROR', statusBody(410, 'Expired', err.message));
      stop();
      return;
    }
  }
  if (bookmarks) {
    const tick = () => {
      if (closed) return;
      write('BOOKMARK', { kind: KINDS[resource], apiVersion: GROUP_VERSION[resource], metadata: { resourceVersion: String(Math.max(lastRv, store.resourceVersion)) } });
      timers.push(setTimeout(tick, api.bookmarkMs).unref());
    };
    timers.push(setTimeout(tick, api.bookmarkMs).unref());
  }
  timers.push(setTimeout(stop, lifetime).unref());
}

function serveLogs(api: BoxApi, namespace: string, podName: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const cluster = api.cluster;
  const info = cluster.podContainers(namespace, podName);
  if (!info) throw notFound('pods', podName);
  let container = q.get('container') ?? '';
  if (!container) {
    if (info.names.length !== 1) {
      throw new HttpError(400, 'BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${info.names.join(' ')}]`);
    }
    container = info.names[0]!;
  }
  if (!info.names.includes(container)) throw new HttpError(400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);
  const previous = boolParam(q, 'previous');
  const follow = boolParam(q, 'follow') && !previous;
  const timestamps = boolParam(q, 'timestamps');
  const tail = intParam(q, 'tailLines');
  const limitBytes = intParam(q, 'limitBytes', 1);
  const sinceSeconds = intParam(q, 'sinceSeconds', 1);
  const sinceTimeRaw = q.get('sinceTime');
  let since = -Infinity;
  if (sinceTimeRaw) {
    since = Date.parse(sinceTimeRaw);
    if (Number.isNaN(since)) throw new HttpError(400, 'BadRequest', `sinceTime: invalid value '${sinceTimeRaw}': must be RFC 3339`);
  } else if (sinceSeconds !== undefined) since = Date.now() - sinceSeconds * 1000;

  const inst = cluster.logInstance(namespace, podName, container, previous);
  if (!inst) throw notFound('pods', podName);
  if ('waiting' in inst) {
    if (previous) throw new HttpError(400, 'BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
    const why = inst.waiting === 'ImagePullBackOff' || inst.waiting === 'ErrImagePull' ? 'trying and failing to pull image' : inst.waiting;
    throw new HttpError(400, 'BadRequest', `container "${container}" in pod "${podName}" is waiting to start: ${why}`);
  }

  if (follow && !admitStream(api, res)) return;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let sentBytes = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    res.end();
  };
  const emit = (lines: LogLine[]): void => {
    for (const l of lines) {
      if (done) return;
      let s = `${timestamps ? `${rfc3339Nano(l.at)} ` : ''}${l.text}\n`;
      if (limitBytes !== undefined && sentBytes + Buffer.byteLength(s) > limitBytes) {
        s = Buffer.from(s)
          .subarray(0, limitBytes - sentBytes)
          .toString('utf8');
        res.write(s);
        finish();
        return;
      }
      sentBytes += Buffer.byteLength(s);
      res.write(s);
    }
  };
  const now = Date.now();
  let lines = instanceLines(inst, since, now, tail !== undefined ? Math.min(tail, MAX_LOG_LINES) : MAX_LOG_LINES);
  if (tail !== undefined) lines = lines.slice(Math.max(0, lines.length - tail));
  emit(lines);
  if (!follow || inst.endedAt !== undefined || done) {
    finish();
    return;
  }
  // Follow: poll the instance at its line rate; stop when it ends (a crash or completion), as kubelet does.
  let sentUpTo = now;
  const step = Math.max(100, Math.min(1000, inst.periodMs));
  const timer = setInterval(() => {
    if (done) return clearInterval(timer);
    const t = Date.now();
    cluster.advance(t);
    const cur = cluster.logInstance(namespace, podName, container, false);
    const same = cur && !('waiting' in cur) && cur.startedAt === inst.startedAt ? cur : undefined;
    const ended: LogInstance = same ?? { ...inst, endedAt: inst.endedAt ?? t };
    if (!same) {
      // The instance we followed is gone (restarted or the pod was deleted): read its last state.
      const prev = cluster.logInstance(namespace, podName, container, true);
      if (prev && !('waiting' in prev) && prev.startedAt === inst.startedAt) Object.assign(ended, prev);
    }
    emit(instanceLines(ended, sentUpTo + 1, t));
    sentUpTo = t;
    if (ended.endedAt !== undefined) {
      clearInterval(timer);
      finish();
    }
  }, step);
  timer.unref();
  req.on('close', () => {
    clearInterval(timer);
    done = true;
  });
}

function serveMetrics(api: BoxApi, target: Target, q: URLSearchParams, res: ServerResponse, now: number): void {
  if (!api.metrics) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
  const labels = parseLabelSelector(q.get('labelSelector'));
  if (target.kind === 'metrics-nodes') {
    const items = nodeMetrics(api.cluster, now, labels, target.name);
    if (target.name !== undefined) {
      if (!items[0]) throw new HttpError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${target.name}" not found`);
      return sendJson(res, 200, items[0]);
    }
    return sendJson(res, 200, { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
  }
  const items = podMetrics(api.cluster, now, labels, target.namespace, target.name);
  if (target.name !== undefined) {
    if (!items[0]) throw new HttpError(404, 'NotFound', `podmetrics.metrics.k8s.io "${target.namespace}/${target.name}" not found`);
    return sendJson(res, 200, items[0]);
  }
  sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
}

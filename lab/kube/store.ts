/**
 * The object store of one lab cluster: current objects per resource, a bounded change history
 * (what etcd's watch window is to k3s), and watchers. Objects are never mutated once stored, so
 * the history can hold the previous version of each change and rebuild any list inside the window.
 */

export type Resource = 'nodes' | 'pods' | 'events' | 'namespaces' | 'leases';
export const RESOURCES: readonly Resource[] = ['nodes', 'pods', 'events', 'namespaces', 'leases'];

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  kind: string;
  apiVersion: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  resource: Resource;
  type: WatchType;
  key: string;
  obj: KubeObject;
  /** The version this change replaced; undefined for ADDED. */
  prev: KubeObject | undefined;
}

export type WatchListener = (change: Change) => void;

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

export class ExpiredError extends Error {
  readonly rv: number;
  constructor(rv: number, oldest: number) {
    super(`too old resource version: ${rv} (${oldest})`);
    this.name = 'ExpiredError';
    this.rv = rv;
  }
}

export class Store {
  private rv: number;
  /** Changes with rv <= compactedRv are gone: a watch or list from before it is answered 410. */
  private compactedRv: number;
  private readonly history: Change[] = [];
  private historyStart = 0;
  private readonly maps = new Map<Resource, Map<string, KubeObject>>();
  private readonly sortedKeys = new Map<Resource, string[] | null>();
  private readonly listeners = new Set<WatchListener>();
  private readonly historyLimit: number;

  constructor(opts: { historyLimit?: number; startRv?: number } = {}) {
    this.historyLimit = Math.max(16, opts.historyLimit ?? 10_000);
    this.rv = opts.startRv ?? 1000;
    this.compactedRv = this.rv;
    for (const r of RESOURCES) {
      this.maps.set(r, new Map());
      this.sortedKeys.set(r, null);
    }
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  get(resource: Resource, key: string): KubeObject | undefined {
    return this.map(resource).get(key);
  }

  count(resource: Resource): number {
    return this.map(resource).size;
  }

  /** Adds or replaces an object; the store stamps resourceVersion. Returns the stored object. */
  put(resource: Resource, obj: KubeObject): KubeObject {
    const key = keyOf(obj);
    const map = this.map(resource);
    const prev = map.get(key);
    this.rv += 1;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    map.set(key, stored);
    if (!prev) this.sortedKeys.set(resource, null);
    this.record({ rv: this.rv, resource, type: prev ? 'MODIFIED' : 'ADDED', key, obj: stored, prev });
    return stored;
  }

  remove(resource: Resource, key: string): void {
    const map = this.map(resource);
    const prev = map.get(key);
    if (!prev) return;
    map.delete(key);
    this.sortedKeys.set(resource, null);
    this.rv += 1;
    const gone: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(this.rv) } };
    this.record({ rv: this.rv, resource, type: 'DELETED', key, obj: gone, prev });
  }

  /**
   * Drops the history so far: objects created while building a scenario are not replayable,
   * as after an etcd compaction, which lets tests reach 410 Gone without waiting.
   */
  compact(): void {
    this.history.length = 0;
    this.historyStart = 0;
    this.compactedRv = this.rv;
  }

  /** Objects sorted by key, as they were at resourceVersion `at` (default: now). */
  list(resource: Resource, at?: number): { items: KubeObject[]; keys: string[]; rv: number } {
    const now = this.rv;
    if (at === undefined || at >= now) return this.current(resource);
    if (at < this.compactedRv) throw new ExpiredError(at, this.compactedRv);
    const changed = new Map<string, KubeObject | null>();
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const c = this.history[i]!;
      if (c.rv <= at) break;
      if (c.resource === resource) changed.set(c.key, c.prev ?? null);
    }
    if (changed.size === 0) return { ...this.current(resource), rv: at };
    const map = new Map(this.map(resource));
    for (const [k, v] of changed) {
      if (v) map.set(k, v);
      else map.delete(k);
    }
    const keys = [...map.keys()].sort();
    return { items: keys.map((k) => map.get(k)!), keys, rv: at };
  }

  /**
   * Replays the changes after `from` then follows live ones. Throws ExpiredError when `from` is
   * older than the history window. Returns the function that stops the watch.
   */
  watch(from: number, listener: WatchListener): () => void {
    if (from < this.compactedRv) throw new ExpiredError(from, this.compactedRv);
    for (let i = this.historyStart; i < this.history.length; i++) {
      const c = this.history[i]!;
      if (c.rv > from) listener(c);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watcherCount(): number {
    return this.listeners.size;
  }

  private current(resource: Resource): { items: KubeObject[]; keys: string[]; rv: number } {
    const map = this.map(resource);
    let keys = this.sortedKeys.get(resource) ?? null;
    if (!keys) {
      keys = [...map.keys()].sort();
      this.sortedKeys.set(resource, keys);
    }
    return { items: keys.map((k) => map.get(k)!), keys, rv: this.rv };
  }

  private record(change: Change): void {
    this.history.push(change);
    const live = this.history.length - this.historyStart;
    if (live > this.historyLimit) {
      this.compactedRv = this.history[this.historyStart]!.rv;
      this.history[this.historyStart] = undefined as unknown as Change;
      this.historyStart += 1;
      // Shift the array now and then rather than on every change: amortised O(1).
      if (this.historyStart > this.historyLimit) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // One broken watcher (a client gone mid-write) must not stop the cluster or the other watchers.
        this.listeners.delete(l);
      }
    }
  }

  private map(resource: Resource): Map<string, KubeObject> {
    return this.maps.get(resource)!;
  }
}

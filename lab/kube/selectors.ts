import type { KubeObject, Resource } from './store.ts';

/**
 * Label and field selectors as the API server parses them (k8s.io/apimachinery labels and
 * fields packages), limited to what kubectl and client-node send. A bad selector is a
 * SelectorError, which the API answers with 400 BadRequest as the real server does.
 */

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type Matcher = (obj: KubeObject) => boolean;

type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

const MAX_SELECTOR = 4096;
const KEY_RE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE_RE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

/** Splits on commas that are not inside parentheses (`a in (x,y),b`). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new SelectorError(`unbalanced parenthesis in selector "${s}"`);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new SelectorError(`unbalanced parenthesis in selector "${s}"`);
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p.length > 0);
}

function checkKey(key: string): string {
  if (!KEY_RE.test(key) || key.length > 317) throw new SelectorError(`invalid label key "${key}"`);
  return key;
}

function checkValue(v: string): string {
  if (!VALUE_RE.test(v) || v.length > 63) throw new SelectorError(`invalid label value: "${v}"`);
  return v;
}

export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  if (selector.length > MAX_SELECTOR) throw new SelectorError('label selector too long');
  const reqs: Requirement[] = splitTop(selector).map((part) => {
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (m) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim()));
      return { key: checkKey(m[1]!), op: m[2] as 'in' | 'notin', values };
    }
    m = /^!\s*(\S+)$/.exec(part);
    if (m) return { key: checkKey(m[1]!), op: '!exists' };
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const op = m[2] === '!=' ? 'notin' : 'in';
      return { key: checkKey(m[1]!), op, values: [checkValue(m[3]!)] };
    }
    if (/^[^=!\s()]+$/.test(part)) return { key: checkKey(part), op: 'exists' };
    throw new SelectorError(`unable to parse requirement: "${part}"`);
  });
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key]!);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]!);
      }
    });
  };
}

/** The fields each resource can be selected on, as the real server registers them. */
function fieldValue(resource: Resource, obj: KubeObject, field: string): string | undefined {
  const meta = obj.metadata;
  if (field === 'metadata.name') return meta.name;
  if (field === 'metadata.namespace') return meta.namespace ?? '';
  const o = obj as Record<string, Record<string, unknown> | undefined>;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  switch (resource) {
    case 'pods': {
      const spec = o.spec ?? {};
      const status = o.status ?? {};
      const map: Record<string, unknown> = {
        'spec.nodeName': spec.nodeName,
        'spec.restartPolicy': spec.restartPolicy,
        'spec.schedulerName': spec.schedulerName,
        'spec.serviceAccountName': spec.serviceAccountName,
        'spec.hostNetwork': spec.hostNetwork === true ? 'true' : 'false',
        'status.phase': status.phase,
        'status.podIP': status.podIP,
        'status.nominatedNodeName': status.nominatedNodeName,
      };
      return Object.hasOwn(map, field) ? str(map[field]) : undefined;
    }
    case 'nodes':
      if (field === 'spec.unschedulable') return o.spec?.unschedulable === true ? 'true' : 'false';
      return undefined;
    case 'namespaces':
      if (field === 'status.phase') return str(o.status?.phase);
      return undefined;
    case 'leases':
      return undefined;
    case 'events': {
      const inv = (o.involvedObject ?? {}) as Record<string, unknown>;
      const src = (o.source ?? {}) as Record<string, unknown>;
      const sub = /^involvedObject\.(kind|namespace|name|uid|apiVersion|resourceVersion|fieldPath)$/.exec(field);
      if (sub) return str(inv[sub[1]!]);
      if (field === 'reason' || field === 'type' || field === 'reportingComponent') return str((obj as Record<string, unknown>)[field]);
      if (field === 'source') return str(src.component);
      return undefined;
    }
  }
}

export function parseFieldSelector(resource: Resource, selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  if (selector.length > MAX_SELECTOR) throw new SelectorError('field selector too long');
  const reqs = splitTop(selector).map((part) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    return { field, neg: m[2] === '!=', value: m[3]!.trim() };
  });
  // An unknown field is refused up front, as the real server does, not silently matched.
  const probe = { kind: '', apiVersion: '', metadata: { name: '', uid: '', creationTimestamp: '' } };
  for (const r of reqs) {
    if (fieldValue(resource, probe, r.field) === undefined) {
      throw new SelectorError(`field label not supported: ${r.field}`);
    }
  }
  return (obj) => reqs.every((r) => (fieldValue(resource, obj, r.field) === r.value) !== r.neg);
}

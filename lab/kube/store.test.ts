import { describe, expect, it } from 'vitest';
import { ExpiredError, Store, type Change, type KubeObject } from './store.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';

const pod = (name: string, labels: Record<string, string> = {}, phase = 'Running'): KubeObject => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name, namespace: 'ns', uid: name, creationTimestamp: '', labels },
  spec: { nodeName: 'n1' },
  status: { phase },
});

describe('store', () => {
  it('rebuilds a list as it was at an older resourceVersion inside the history window', () => {
    const s = new Store();
    s.put('pods', pod('a'));
    s.put('pods', pod('b'));
    const at = s.resourceVersion;
    s.put('pods', pod('c'));
    s.remove('pods', 'ns/a');
    s.put('pods', pod('b', { v: '2' }));
    expect(s.list('pods').items.map((o) => o.metadata.name)).toEqual(['b', 'c']);
    const old = s.list('pods', at);
    expect(old.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(old.items[1]!.metadata.labels).toEqual({});
  });

  it('replays changes after a resourceVersion to a watch, then follows live ones', () => {
    const s = new Store();
    s.put('pods', pod('a'));
    const from = s.resourceVersion;
    s.put('pods', pod('b'));
    const seen: Change[] = [];
    const stop = s.watch(from, (c) => seen.push(c));
    s.remove('pods', 'ns/b');
    stop();
    s.put('pods', pod('z'));
    expect(seen.map((c) => `${c.type} ${c.obj.metadata.name}`)).toEqual(['ADDED b', 'DELETED b']);
  });

  it('expires versions older than the history window (410 Gone)', () => {
    const s = new Store({ historyLimit: 16 });
    const first = s.resourceVersion;
    for (let i = 0; i < 40; i++) s.put('pods', pod(`p${i}`));
    expect(() => s.watch(first, () => {})).toThrow(ExpiredError);
    expect(() => s.list('pods', first + 1)).toThrow(ExpiredError);
    expect(() => s.watch(s.resourceVersion - 10, () => {})).not.toThrow();
    s.compact();
    expect(() => s.watch(s.resourceVersion - 1, () => {})).toThrow(ExpiredError);
  });
});

describe('selectors', () => {
  const p = pod('web-1', { app: 'web', tier: 'frontend' });
  it('match label selectors with =, !=, in, notin, exists and !exists', () => {
    expect(parseLabelSelector('app=web,tier!=backend')(p)).toBe(true);
    expect(parseLabelSelector('app in (db, web),!canary')(p)).toBe(true);
    expect(parseLabelSelector('tier notin (frontend)')(p)).toBe(false);
    expect(parseLabelSelector('app')(p)).toBe(true);
    expect(parseLabelSelector('missing')(p)).toBe(false);
    expect(parseLabelSelector('app==web')(p)).toBe(true);
  });

  it('refuse malformed selectors with a SelectorError', () => {
    expect(() => parseLabelSelector('app in (web')).toThrow(SelectorError);
    expect(() => parseLabelSelector('a b c')).toThrow(SelectorError);
    expect(() => parseFieldSelector('pods', 'spec.nope=1')).toThrow(/field label not supported: spec.nope/);
    expect(() => parseFieldSelector('pods', 'status.phase')).toThrow(SelectorError);
  });

  it('match field selectors the real server supports per resource', () => {
    expect(parseFieldSelector('pods', 'status.phase=Running,spec.nodeName=n1,metadata.namespace=ns')(p)).toBe(true);
    expect(parseFieldSelector('pods', 'status.phase!=Running')(p)).toBe(false);
    const ev: KubeObject = {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: 'e', namespace: 'ns', uid: 'e', creationTimestamp: '' },
      involvedObject: { kind: 'Pod', name: 'web-1' },
      type: 'Warning',
      reason: 'BackOff',
    };
    expect(parseFieldSelector('events', 'involvedObject.name=web-1,type=Warning')(ev)).toBe(true);
  });
});

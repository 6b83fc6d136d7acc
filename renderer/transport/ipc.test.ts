import { describe, expect, it } from 'vitest';
import { callNames, eventNames, type CallResult, type PreloadBridge } from '../../shared/api.ts';
import { FieldlinkError } from '../../shared/errors.ts';
import { createIpcClient } from './ipc.ts';

/** A bridge shaped like electron/preload.ts's, answering from a table (the real one is tested in electron/preload.test.ts). */
function bridge(answer: (name: string, input: unknown) => Promise<CallResult<unknown>>) {
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const b = {
    calls: Object.fromEntries(callNames.map((n) => [n, (input: unknown) => answer(n, input)])),
    events: Object.fromEntries(
      eventNames.map((n) => [
        n,
        (l: (p: unknown) => void) => {
          if (!subs.has(n)) subs.set(n, new Set());
          subs.get(n)!.add(l);
          return () => subs.get(n)!.delete(l);
        },
      ]),
    ),
  } as unknown as PreloadBridge;
  return { b, subs };
}

describe('IPC client', () => {
  it('rejects with TIMEOUT when the core never answers', async () => {
    const { b } = bridge(() => new Promise(() => {}));
    const c = createIpcClient(b, { callTimeoutMs: 50 });
    await expect(c.call('app.info', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('turns an unreadable error into PROTOCOL, never a raw object', async () => {
    const { b } = bridge(async () => ({ ok: false, error: { code: 'NOPE', message: 5 } as never }));
    const err = await createIpcClient(b)
      .call('app.info', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FieldlinkError);
    expect(err).toMatchObject({ code: 'PROTOCOL' });
  });

  it('subscribes at the bridge once per event name, and leaves when the last listener goes', () => {
    const { b, subs } = bridge(async () => ({ ok: true, value: {} }));
    const c = createIpcClient(b);
    const seen: string[] = [];
    const off1 = c.on('job.changed', () => seen.push('a'));
    const off2 = c.on('job.changed', () => {
      throw new Error('a broken listener');
    });
    const off3 = c.on('job.changed', () => seen.push('c'));
    expect(subs.get('job.changed')!.size).toBe(1);
    for (const l of subs.get('job.changed')!) l({});
    expect(seen).toEqual(['a', 'c']);
    off1();
    off2();
    off2();
    expect(subs.get('job.changed')!.size).toBe(1);
    off3();
    expect(subs.get('job.changed')!.size).toBe(0);
  });
});

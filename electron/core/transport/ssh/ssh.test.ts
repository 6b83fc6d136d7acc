import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../../shared/errors.ts';
import { deadline, shq } from './cancel.ts';
import { mapConnectError } from './errors.ts';
import { Semaphore } from './semaphore.ts';

describe('shq', () => {
  it('quotes anything for a POSIX shell, quotes included', () => {
    expect(shq(`it's $(rm -rf /)`)).toBe(`'it'\\''s $(rm -rf /)'`);
  });
});

describe('deadline', () => {
  it('says TIMEOUT when time ran out and ABORTED when the caller cancelled', async () => {
    const t = deadline(undefined, 20);
    await new Promise((r) => t.signal.addEventListener('abort', r));
    expect(t.error('x').code).toBe('TIMEOUT');
    const ac = new AbortController();
    const c = deadline(ac.signal, 10_000);
    ac.abort();
    expect(c.signal.aborted).toBe(true);
    expect(c.error('x').code).toBe('ABORTED');
    c.dispose();
  });
});

describe('Semaphore', () => {
  it('lets n through, queues the rest, and drops a waiter that is cancelled', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire(ac.signal);
    let third = false;
    const next = s.acquire().then((r) => ((third = true), r));
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(third).toBe(false);
    r1();
    await next;
    expect(third).toBe(true);
  });
});

describe('connect errors', () => {
  it('maps ssh2 error levels to codes a technician can act on', () => {
    expect(mapConnectError(Object.assign(new Error('x'), { level: 'client-authentication' }), 't', { tried: ['password'], allowed: ['publickey', 'password'] }).code).toBe(
      'AUTH_FAILED',
    );
    expect(mapConnectError(Object.assign(new Error('x'), { level: 'client-socket', code: 'ECONNREFUSED' }), 't').code).toBe('LINK_DOWN');
    expect(mapConnectError(Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }), 't').code).toBe('TIMEOUT');
    const own = new FieldlinkError('HOST_KEY_CHANGED', 'changed');
    expect(mapConnectError(own, 't')).toBe(own);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLocker } from './redis-locker.ts';
import { redisServerPath, startRedis, type Service } from './testing/services.ts';

const haveRedis = redisServerPath() !== undefined;
if (!haveRedis) console.warn('SKIPPED RedisLocker tests: redis-server is not installed (apt-get install -y redis-server; .ci/run installs it).');

describe.skipIf(!haveRedis)('RedisLocker (two instances on one real redis-server)', () => {
  let tmp: string;
  let redis: Service;
  const clients: Redis[] = [];
  const locker = (ttlMs: number, acquireTimeoutMs = 5000) => {
    const c = new Redis(redis.url);
    clients.push(c);
    return new RedisLocker(c, { ttlMs, acquireTimeoutMs });
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-redis-lock-'));
    redis = await startRedis(tmp);
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('one holder at a time; the holder is asked to let go, and the waiter gets the lock when it does', async () => {
    const a = locker(2000);
    const b = locker(2000);
    const held = a.newLock('upload-1');
    let asked = 0;
    await held.lock(new AbortController().signal, async () => {
      asked++;
      await held.unlock();
    });
    const started = Date.now();
    await b.newLock('upload-1').lock(new AbortController().signal, () => undefined);
    expect(asked).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a holder that dies (no unlock, no renewal) blocks only until its ttl lapses', async () => {
    const a = locker(800);
    const b = locker(800);
    await a.newLock('upload-2').lock(new AbortController().signal, () => undefined);
    a.redis.disconnect(); // kill -9 as Redis sees it: renewals stop, nobody answers release requests
    a.subscriber.disconnect();
    const started = Date.now();
    await b.newLock('upload-2').lock(new AbortController().signal, () => undefined);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(300);
    expect(waited).toBeLessThan(3000);
  });

  it('a live holder keeps its lock past the ttl by renewing it, and a late unlock never frees the next holder', async () => {
    const a = locker(400, 1000);
    const b = locker(400, 1000);
    const lockA = a.newLock('upload-3');
    await lockA.lock(new AbortController().signal, () => undefined);
    await expect(b.newLock('upload-3').lock(new AbortController().signal, () => undefined)).rejects.toMatchObject({ body: 'failed to acquire lock before timeout' });
    await lockA.unlock();
    const lockB = b.newLock('upload-3');
    await lockB.lock(new AbortController().signal, () => undefined);
    await lockA.unlock(); // a stale second unlock: compare-and-delete leaves B's lock alone
    expect(await b.redis.get('fieldlink:lock:upload-3')).not.toBeNull();
    await lockB.unlock();
    expect(await b.redis.get('fieldlink:lock:upload-3')).toBeNull();
  });
});

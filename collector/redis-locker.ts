import crypto from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { Redis } from 'ioredis';

/**
 * tus's Locker over Redis, so several collector instances never write one upload at once.
 *
 * No maintained Redis locker for @tus/server exists on the registry (`@tus/redis-locker` is not
 * published; tus ships only MemoryLocker), so this is the small classic one: SET key token NX PX
 * to take the lock, a renewal every ttl/3 that extends it only while the token is still ours, and
 * release by compare-and-delete (a Lua script) so an instance whose lock expired can never delete
 * the next holder's. A holder killed with -9 stops renewing and its lock lapses after `ttlMs`.
 *
 * tus asks a holder to let go when another request wants the upload (a client that reconnected
 * while its old PATCH still hangs). Across instances that request travels over pub/sub: a waiter
 * publishes on the lock's channel and the holder, subscribed while it holds, calls its release.
 */
export interface RedisLockerOptions {
  /** The lock's lifetime without renewal: how long a killed instance blocks its uploads (default 10 s). */
  ttlMs?: number;
  /** How long lock() waits before giving up with tus's ERR_LOCK_TIMEOUT (default 30 s, as MemoryLocker). */
  acquireTimeoutMs?: number;
  prefix?: string;
}

const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export class RedisLocker implements Locker {
  readonly redis: Redis;
  /** A second connection: a subscribed ioredis client can run no other command. */
  readonly subscriber: Redis;
  readonly ttlMs: number;
  readonly acquireTimeoutMs: number;
  readonly prefix: string;
  private readonly releasers = new Map<string, RequestRelease>();

  constructor(redis: Redis, opts: RedisLockerOptions = {}) {
    this.redis = redis;
    this.subscriber = redis.duplicate();
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.prefix = opts.prefix ?? 'fieldlink:lock:';
    this.subscriber.on('message', (channel: string) => {
      const release = this.releasers.get(channel);
      if (release) void Promise.resolve(release()).catch(() => undefined);
    });
  }

  newLock(id: string): Lock {
    return new RedisLock(this, id);
  }

  /** Runs fn holding the lock on id (for the collector's own critical sections, e.g. one hash). */
  async withLock<T>(id: string, fn: () => Promise<T>, signal: AbortSignal = new AbortController().signal): Promise<T> {
    const lock = this.newLock(id);
    await lock.lock(signal, () => undefined);
    try {
      return await fn();
    } finally {
      await lock.unlock();
    }
  }

  /** @internal */
  async watch(channel: string, release: RequestRelease): Promise<void> {
    this.releasers.set(channel, release);
    await this.subscriber.subscribe(channel);
  }

  /** @internal */
  async unwatch(channel: string): Promise<void> {
    this.releasers.delete(channel);
    await this.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}

class RedisLock implements Lock {
  private readonly key: string;
  private readonly channel: string;
  private readonly token = crypto.randomBytes(16).toString('hex');
  private renewal: NodeJS.Timeout | undefined;
  private readonly locker: RedisLocker;

  constructor(locker: RedisLocker, id: string) {
    this.locker = locker;
    this.key = `${locker.prefix}${id}`;
    this.channel = `${this.key}:release`;
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { redis, ttlMs } = this.locker;
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    let delay = 20;
    for (;;) {
      if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
      const ok = await redis.set(this.key, this.token, 'PX', ttlMs, 'NX');
      if (ok === 'OK') break;
      // Someone holds it: ask them to let go (they may be a stale PATCH), then back off and retry.
      await redis.publish(this.channel, 'release');
      if (Date.now() + delay > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 500);
    }
    await this.locker.watch(this.channel, requestRelease);
    this.renewal = setInterval(
      () => {
        redis
          .eval(RENEW_SCRIPT, 1, this.key, this.token, String(ttlMs))
          .then((n) => {
            // Lost it (Redis restarted, or we stalled past the ttl): stop writing rather than race the new holder.
            if (n === 0) void Promise.resolve(requestRelease()).catch(() => undefined);
          })
          .catch(() => undefined);
      },
      Math.max(100, Math.floor(ttlMs / 3)),
    );
    this.renewal.unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    await this.locker.unwatch(this.channel);
    await this.locker.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

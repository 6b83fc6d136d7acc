import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../app.ts';
import { callNames } from '../../../shared/api.ts';
import { Writable } from 'node:stream';
import { createLogger } from '../log/index.ts';
import { createDispatch } from './dispatch.ts';
import type { Handlers } from './handlers.ts';

describe('dispatch: the one door every transport goes through', () => {
  let app: App;
  beforeEach(() => {
    app = createApp({ host: 'test', dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fl-rpc-')) });
  });
  afterEach(() => app.close());

  it('has a handler for every call in the contract', async () => {
    for (const name of callNames) {
      const r = await app.dispatch(name, {});
      if (!r.ok) expect(r.error.code, name).not.toBe('INTERNAL');
    }
  });

  it('refuses at start-up a handler table that misses a call', () => {
    expect(() => createDispatch({} as Handlers)).toThrow(/No handler for app\.info, status\.get/);
  });

  it('round-trips a call and validates what it returns', async () => {
    const r = await app.dispatch('settings.set', { site: 'Tower 12' });
    expect(r).toMatchObject({ ok: true, value: { site: 'Tower 12' } });
    expect(await app.dispatch('settings.get', {})).toMatchObject({ ok: true, value: { site: 'Tower 12' } });
  });

  it('refuses an unknown call with a typed error', async () => {
    expect(await app.dispatch('boxes.delete-everything', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(await app.dispatch({ toString: null }, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(await app.dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
  });

  it('refuses a payload that fails the schema, saying which field', async () => {
    const r = await app.dispatch('settings.set', { theme: 'neon' });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(r.ok ? '' : r.error.message).toMatch(/theme/);
    expect(await app.dispatch('boxes.get', { id: 'x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await app.dispatch('boxes.get', 'not an object')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('an internal failure names the log file and never logs the call input', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'error', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    const fail = () => {
      throw new Error('disk on fire');
    };
    const boom = Object.fromEntries(callNames.map((n) => [n, fail])) as unknown as Handlers;
    const r = await createDispatch(boom, log)('settings.get', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside Fieldlink. The details are in the log (standard error).' } });
    expect(lines.join('')).toMatch(/disk on fire/);
    const secret = await createDispatch(boom, log)('console.open', { target: 'ssh://10.0.0.1', cols: 80, rows: 24, password: 'hunter2-label' });
    expect(secret).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(lines.join('')).not.toContain('hunter2-label');
  });

  it('sends failures as values without stack traces', async () => {
    const r = await app.dispatch('boxes.get', { id: 'nowhere' });
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(JSON.stringify(r)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('audits a host-key pin request (refused: the core never saw that key in a handshake)', async () => {
    const fp = `SHA256:${'A'.repeat(43)}`;
    const r = await app.dispatch('trust.pin', { host: '10.0.0.1', keyType: 'ssh-ed25519', fingerprint: fp, source: 'first-use' });
    expect(r).toMatchObject({ ok: false, error: { code: 'HOST_KEY_UNKNOWN' } });
    expect(app.audit.list({ limit: 5 })[0]).toMatchObject({ action: 'trust.refused', outcome: 'refused' });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.ts';
import { boxPasswordSecret } from '../connections/index.ts';
import { createLogger } from '../log/index.ts';

const SECRET = 'label-pw-3x7q-9kdm';
const open: { app: App; dir: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

function core() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cred-'));
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString('utf8');
      done();
    },
  });
  const app = createApp({ host: 'cli', dataDir: dir, logger: createLogger({ level: 'trace', destination: sink }) });
  const events: string[] = [];
  app.bus.onAny((name, payload) => events.push(`${name} ${JSON.stringify(payload)}`));
  open.push({ app, dir });
  return { app, log: () => log, events: () => events.join('\n') };
}

describe('passwords through the contract', () => {
  it('never come back in an error, a log line, an event or an audit row, whatever the call fails with', async () => {
    const c = core();
    const results = [
      // Nothing listens on port 1 of loopback: the link fails before any login (after the pool's retries).
      await c.app.dispatch('console.open', { target: 'ssh://root@127.0.0.1:1', cols: 80, rows: 24, password: SECRET, remember: true }),
      // The schema refuses the call: its issues name the field, never the value.
      await c.app.dispatch('console.open', { target: 'ssh://root@127.0.0.1:1', cols: 80, rows: 24, password: SECRET.repeat(100), remember: true }),
      await c.app.dispatch('console.open', { target: 'ssh://root@127.0.0.1:1', cols: 80, rows: 24, password: SECRET, extra: SECRET }),
      await c.app.dispatch('keys.install', { target: 'ssh://root@127.0.0.1:1', password: SECRET }),
    ];
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['LINK_DOWN', 'BAD_REQUEST', 'BAD_REQUEST', 'LINK_DOWN']);
    const all = [JSON.stringify(results), c.log(), c.events(), JSON.stringify(c.app.audit.list({ limit: 1000 }))].join('\n');
    expect(all).not.toContain(SECRET);
    // A password is remembered only after a login that worked with it: none did.
    expect(c.app.secrets.names()).toEqual([]);
  }, 60_000);

  it('credentials.forget removes the remembered password of the box and of its address', async () => {
    const c = core();
    c.app.secrets.set(boxPasswordSecret('10.9.8.7'), SECRET);
    expect(await c.app.dispatch('credentials.forget', { target: 'ssh://10.9.8.7' })).toEqual({ ok: true, value: { forgotten: true } });
    expect(await c.app.dispatch('credentials.forget', { target: 'ssh://10.9.8.7' })).toEqual({ ok: true, value: { forgotten: false } });
    expect(c.app.secrets.names()).toEqual([]);
    expect(c.app.audit.list({ limit: 10 }).map((a) => a.action)).toEqual(['credentials.forget']);
    expect(JSON.stringify(c.app.audit.list({ limit: 10 }))).not.toContain(SECRET);
  });
});

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startWebHost, type WebHost } from '../../electron/web.ts';
import { makeApp } from '../../electron/web/testing.ts';
import { CHROMIUM_ARGS } from './helpers.ts';

/** Debian's Chromium, headless, nothing that phones home; rebind.test resolves to loopback only. */
const ARGS = [...CHROMIUM_ARGS, '--host-resolver-rules=MAP rebind.test 127.0.0.1'];

/**
 * The browser host against what a real browser would let a hostile page do: a DNS-rebinding name
 * that points at 127.0.0.1, and a page on another local origin trying the WebSocket.
 */
describe('browser host in real Chromium: hostile pages get nothing', () => {
  const core = makeApp();
  let host: WebHost;
  let browser: Browser;
  let evil: http.Server;
  let evilPort = 0;

  beforeAll(async () => {
    host = await startWebHost({ app: core.app, rendererDir: '/nonexistent' });
    // Another local origin: what any other web app on this laptop, or an ad in a tab, could be.
    evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>evil</title>');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilPort = (evil.address() as { port: number }).port;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, timeout: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await host?.close();
    await core.cleanup();
  });

  it('a rebound hostname gets a refusal, not the UI, and no WebSocket', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`http://rebind.test:${host.port}/`);
    expect(res?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('UNAUTHORIZED');
    const outcome = await page.evaluate(
      `new Promise((resolve) => {
        const ws = new WebSocket('ws://rebind.test:${host.port}/api');
        ws.onopen = () => resolve('open');
        ws.onclose = (e) => resolve('closed ' + e.code);
      })`,
    );
    expect(outcome).toBe('closed 1006');
    await page.close();
  });

  it('a page on another origin cannot open the API socket, even knowing the token', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    const outcome = await page.evaluate(
      `new Promise((resolve) => {
        const ws = new WebSocket('ws://127.0.0.1:${host.port}/api');
        const got = [];
        ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', token: ${JSON.stringify(host.token)} }));
        ws.onmessage = (e) => got.push(e.data);
        ws.onclose = (e) => resolve({ code: e.code, got });
      })`,
    );
    expect(outcome).toEqual({ code: 1006, got: [] });
    const read = await page.evaluate(`fetch('http://127.0.0.1:${host.port}/').then((r) => r.text()).then((t) => 'read ' + t.length, (e) => 'blocked')`);
    expect(read).toBe('blocked');
    await page.close();
  });

  it('the real origin does get a session (so the refusals above are not an accident)', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    const outcome = await page.evaluate(
      `new Promise((resolve) => {
        const token = new URLSearchParams(location.hash.slice(1)).get('token');
        const ws = new WebSocket('ws://' + location.host + '/api');
        ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', token }));
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.t === 'ready') ws.send(JSON.stringify({ t: 'call', id: 1, name: 'app.info' }));
          if (m.t === 'result') resolve(m);
        };
        ws.onclose = (e) => resolve('closed ' + e.code);
      })`,
    );
    expect(outcome).toMatchObject({ t: 'result', id: 1, ok: true, value: { host: 'browser' } });
    await page.close();
  });
});

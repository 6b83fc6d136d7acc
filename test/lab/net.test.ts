import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { lab, labStatus } from './helpers.ts';

function pingMs(ip: string, count = 3): number | null {
  try {
    const out = execFileSync('ping', ['-n', '-c', String(count), '-i', '0.2', '-W', '3', ip], { encoding: 'utf8' });
    const m = /= [\d.]+\/([\d.]+)\//.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

describe('net: shaping and cutting the links', () => {
  afterAll(async () => {
    await lab('net', 'lan', '--clear', '--up');
    await lab('net', 'uplink', '--clear', '--up');
  });

  it('a LAN delay shows in ping to a box, and goes away when cleared', async () => {
    const s = await labStatus();
    const ip = s.boxes[0]!.ip;
    expect((await lab('net', 'lan', '--delay', '150')).code).toBe(0);
    const slow = pingMs(ip);
    // Delay applies each way: at least 2 x 150 ms round trip, whatever the machine's load.
    expect(slow).not.toBeNull();
    expect(slow!).toBeGreaterThanOrEqual(290);
    const st = await labStatus();
    expect(st.links?.lan.delayMs).toBe(150);
    expect((await lab('net', 'lan', '--clear')).code).toBe(0);
    const fast = pingMs(ip);
    expect(fast!).toBeLessThan(290);
  });

  it('the uplink to the collector can be cut and restored', async () => {
    const s = await labStatus();
    expect(pingMs(s.collector.ip, 1)).not.toBeNull();
    expect((await lab('net', 'uplink', '--down')).code).toBe(0);
    expect((await labStatus()).links?.uplink.up).toBe(false);
    expect(pingMs(s.collector.ip, 1)).toBeNull();
    expect((await lab('net', 'uplink', '--up')).code).toBe(0);
    const back = await (async () => {
      for (let i = 0; i < 20; i++) {
        const v = pingMs(s.collector.ip, 1);
        if (v !== null) return v;
        await new Promise((r) => setTimeout(r, 250));
      }
      return null;
    })();
    expect(back).not.toBeNull();
  });

  it('loss and rate settings are applied to the uplink and reported by status', async () => {
    expect((await lab('net', 'uplink', '--loss', '10', '--rate', '1mbit')).code).toBe(0);
    const st = await labStatus();
    expect(st.links?.uplink.lossPct).toBe(10);
    expect(st.links?.uplink.rate).toMatch(/^1Mbit$/i);
    expect((await lab('net', 'uplink', '--clear')).code).toBe(0);
    expect((await labStatus()).links?.uplink.lossPct).toBeNull();
  });

  it('a rate limit on the uplink slows a bulk TCP transfer to the collector to that rate', async () => {
    const s = await labStatus();
    expect((await lab('net', 'uplink', '--rate', '1mbit')).code).toBe(0);
    const sink = spawn('ip', ['netns', 'exec', 'fl-cloud', 'socat', '-u', 'TCP-LISTEN:39999,reuseaddr', 'OPEN:/dev/null']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const done = new Promise((r) => sink.on('exit', r));
      const t0 = performance.now();
      // 256 KiB at 1 Mbit/s is about 2.1 s on the wire; a loaded machine only makes it slower.
      // Timed until the collector side has read everything, not until the sender's buffer took it.
      execFileSync('socat', ['-u', 'OPEN:/dev/zero,readbytes=262144', `TCP:${s.collector.ip}:39999`], { timeout: 60_000 });
      await done;
      const secs = (performance.now() - t0) / 1000;
      expect(secs).toBeGreaterThanOrEqual(1.6);
    } finally {
      sink.kill('SIGKILL');
      await lab('net', 'uplink', '--clear');
    }
  });

  it('bad shaping input is refused with a usage error', async () => {
    expect((await lab('net', 'wan', '--delay', '10')).code).toBe(2);
    expect((await lab('net', 'lan', '--delay', 'soon')).code).toBe(2);
    expect((await lab('net', 'lan', '--loss', '150')).code).toBe(2);
    expect((await lab('net', 'lan', '--rate', 'fast')).code).toBe(2);
    expect((await lab('net', 'lan', '--up', '--down')).code).toBe(2);
  });
});

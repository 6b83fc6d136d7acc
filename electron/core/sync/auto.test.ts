import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log/index.ts';
import { autoSync } from './auto.ts';
import type { LogHandlerDeps } from './handlers.ts';

describe('background sync', () => {
  it('tries the collector at once when the laptop joins a network, not only on its timer', async () => {
    let looks = 0;
    let net = '';
    // No collector set: each attempt reads the settings once and stops there.
    const deps = {
      settings: { get: () => (looks++, { collectorUrl: undefined }) },
    } as unknown as LogHandlerDeps;
    const auto = autoSync({ ...deps, everyMs: 60_000, log: createLogger({ level: 'silent' }), network: { everyMs: 10, fingerprint: () => net } });
    try {
      await new Promise((r) => setTimeout(r, 60));
      expect(looks).toBe(0);
      net = 'eth0=10.0.0.5';
      await vi.waitFor(() => expect(looks).toBe(1), { timeout: 1000 });
      // Losing the network is no reason to try.
      net = '';
      await new Promise((r) => setTimeout(r, 60));
      expect(looks).toBe(1);
    } finally {
      auto.stop();
    }
  });
});

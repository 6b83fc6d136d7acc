import type { Box, BoxState } from '../../../shared/model.ts';
import type { Inventory } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { probeHostKeys } from '../transport/index.ts';
import { MdnsBrowser, type MdnsBrowserOptions, type MdnsSighting } from './mdns.ts';

export interface DiscoveryDeps {
  inventory: Inventory;
  log?: Logger;
  /** Tests pass their own browser (fake sockets); the default browses every interface. */
  browser?: (o: Pick<MdnsBrowserOptions, 'onSighting' | 'onGone'>) => Pick<MdnsBrowser, 'start' | 'stop' | 'requery'>;
  /** Host keys of a box that announces no serial number, to know it by (no login). */
  probeKey?: (host: string, port: number) => Promise<string | null>;
}

/** TXT `state` as the lab and our factory images publish it. */
const STATES: Record<string, BoxState> = { factory: 'new', new: 'new', provisioned: 'provisioned' };

/**
 * Passive discovery: watches mDNS and merges every announcement into the inventory, which turns each
 * change into a `box.changed` event for every front door. Started on request (the Fleet opening, or
 * `fieldlink discover`), never by the app on its own: a laptop on a strange LAN stays quiet until
 * the technician asks.
 */
export class Discovery {
  readonly #deps: DiscoveryDeps;
  #browser: Pick<MdnsBrowser, 'start' | 'stop' | 'requery'> | undefined;
  /** mDNS instance -> box id, so a goodbye finds its box. */
  readonly #instances = new Map<string, string>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: DiscoveryDeps) {
    this.#deps = deps;
  }

  get running(): boolean {
    return this.#browser !== undefined;
  }

  /** Starts browsing (idempotent); a second call asks the LAN again right away. */
  start(): void {
    if (this.#browser) return this.#browser.requery();
    const make = this.#deps.browser ?? ((o) => new MdnsBrowser({ ...o, log: this.#deps.log }));
    this.#browser = make({ onSighting: (s) => this.#track(this.#sighted(s)), onGone: (i) => this.#gone(i) });
    this.#browser.start();
  }

  async stop(): Promise<void> {
    this.#browser?.stop();
    this.#browser = undefined;
    await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #sighted(s: MdnsSighting): Promise<Box | undefined> {
    // A link-local IPv6 address cannot be dialled without its interface; the box's others can.
    const usable = s.addresses.filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a));
    const address = usable.find((a) => !a.includes(':')) ?? usable[0] ?? null;
    let boxId = s.txt.serial ? s.txt.serial.slice(0, 128) : this.#instances.get(s.instance);
    if (!boxId && address) {
      const fp = await (this.#deps.probeKey ?? probeFirstKey)(address, s.port ?? 22).catch(() => null);
      if (fp) boxId = `key:${fp}`;
    }
    if (!boxId) {
      this.#deps.log?.debug({ instance: s.instance }, 'mdns: a box with no serial and no reachable host key; not added');
      return undefined;
    }
    this.#instances.set(s.instance, boxId);
    try {
      return this.#deps.inventory.recordSighting({
        boxId,
        source: 'mdns',
        address,
        addresses: usable.filter((a) => a !== address),
        hostname: s.hostname ?? (s.label || undefined),
        serial: s.txt.serial ?? null,
        model: s.txt.model ?? null,
        vendor: s.txt.vendor ?? null,
        arch: s.txt.arch ?? null,
        state: STATES[s.txt.state ?? ''],
        facts: { instance: s.instance, ...s.txt },
      });
    } catch (err) {
      this.#deps.log?.warn({ err, boxId }, 'mdns: recording a sighting failed');
      return undefined;
    }
  }

  #gone(instance: string): void {
    const boxId = this.#instances.get(instance);
    this.#instances.delete(instance);
    if (boxId && ![...this.#instances.values()].includes(boxId)) this.#deps.inventory.markGone(boxId);
  }
}

async function probeFirstKey(host: string, port: number): Promise<string | null> {
  const keys = await probeHostKeys(host, port, { timeoutMs: 3000 });
  return keys[0]?.fingerprint ?? null;
}

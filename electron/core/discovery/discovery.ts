import type { Box, BoxState } from '../../../shared/model.ts';
import type { BoxFacts } from '../boxes/index.ts';
import { CABLE_ONLY, type Inventory } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { probeHostKeys } from '../transport/index.ts';
import { MdnsBrowser, type MdnsBrowserOptions, type MdnsSighting } from './mdns.ts';
import { readNeighbours, type Neighbour } from './neighbours.ts';
import { SerialWatcher, readLoginBanner, withOsDetails, type SerialPortInfo, type SerialWatcherOptions } from './serial.ts';

export interface DiscoveryDeps {
  inventory: Inventory;
  log?: Logger;
  /** Tests pass their own browser (fake sockets); the default browses every interface. */
  browser?: (o: Pick<MdnsBrowserOptions, 'onSighting' | 'onGone'>) => Pick<MdnsBrowser, 'start' | 'stop' | 'requery'>;
  /** Host keys of a box that announces no serial number, to know it by (no login). */
  probeKey?: (host: string, port: number) => Promise<string | null>;
  /** Cables: the watcher (tests pass their own listing) and how a cable's box is named. */
  serialWatcher?: (o: Pick<SerialWatcherOptions, 'onPlugged' | 'onUnplugged'>) => Pick<SerialWatcher, 'start' | 'stop'>;
  readBanner?: (path: string) => Promise<{ hostname: string | null }>;
  /**
   * The short read-only probe over a trusted connection (facts: DMI serial, machine-id, arch, k3s),
   * for boxes whose host key is pinned; null when it cannot log in. Never run for an unknown key.
   */
  identify?: (boxId: string) => Promise<BoxFacts | null>;
  /** The laptop's neighbour table (passive: nothing is sent); tests pass their own. */
  neighbours?: () => Promise<Neighbour[]>;
}

/** How often the neighbour table is read while discovery runs. */
const NEIGHBOURS_MS = 10_000;

/** A console busy with someone else is asked again this often, this many times. */
const BANNER_RETRY_MS = 2000;
const BANNER_TRIES = 4;

/** A swept box's host key is asked for this many times, this far apart, before an announcement is taken as another box. */
const KEY_TRIES = 3;
const KEY_RETRY_MS = 1000;

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
  #cables: Pick<SerialWatcher, 'start' | 'stop'> | undefined;
  #neighbourTimer: NodeJS.Timeout | undefined;
  /** mDNS instance -> box id, so a goodbye finds its box. */
  readonly #instances = new Map<string, string>();
  /** serial number -> the present announcements claiming it (instance -> SRV host). */
  readonly #claims = new Map<string, Map<string, string | null>>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Boxes probed this session: once each, however often they announce themselves. */
  readonly #identified = new Set<string>();
  /** Aborted by stop(): every wait of a running discovery ends at once. */
  #running = new AbortController();

  constructor(deps: DiscoveryDeps) {
    this.#deps = deps;
  }

  get running(): boolean {
    return this.#browser !== undefined || this.#cables !== undefined;
  }

  /**
   * Starts listening (idempotent; a second call asks the LAN again at once): mDNS and the neighbour
   * table, and the serial cables (listed, and a new one's console asked for its prompt with one Enter).
   */
  start(what: { mdns?: boolean; serial?: boolean } = {}): void {
    if (this.running) {
      this.#browser?.requery();
      return;
    }
    this.#running = new AbortController();
    if (what.mdns !== false) {
      const make = this.#deps.browser ?? ((o) => new MdnsBrowser({ ...o, log: this.#deps.log }));
      this.#browser = make({ onSighting: (s) => this.#track(this.#sighted(s)), onGone: (i) => this.#gone(i) });
      this.#browser.start();
      this.#neighbourTimer = setInterval(() => this.#track(this.#readNeighbours()), NEIGHBOURS_MS);
      this.#neighbourTimer.unref?.();
    }
    if (what.serial !== false) {
      const watch = this.#deps.serialWatcher ?? ((o) => new SerialWatcher(o));
      this.#cables = watch({ onPlugged: (p) => this.#track(this.#plugged(p)), onUnplugged: (p) => this.#unplugged(p) });
      this.#cables.start();
    }
  }

  async stop(): Promise<void> {
    this.#browser?.stop();
    this.#browser = undefined;
    this.#cables?.stop();
    this.#cables = undefined;
    clearInterval(this.#neighbourTimer);
    this.#running.abort();
    await Promise.allSettled([...this.#pending]);
  }

  /**
   * A pause that holds the process (an unref'd timer let a CLI exit in the middle of a wait, with
   * work still awaited) and ends early when discovery stops.
   */
  #wait(ms: number): Promise<void> {
    const signal = this.#running.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #sighted(s: MdnsSighting): Promise<Box | undefined> {
    // A link-local IPv6 address is dialled through the interface it was heard on (fe80::…%eth0);
    // one heard on an IPv4 socket has none and cannot be dialled at all.
    const usable = s.addresses.filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a) || a.includes('%'));
    const address = usable.find((a) => !a.includes(':')) ?? usable[0] ?? null;
    const serial = s.txt.serial ? s.txt.serial.slice(0, 128) : undefined;
    let boxId = serial ?? this.#instances.get(s.instance);
    // Another box already announces this serial number: flagged, never merged.
    const rival = serial ? this.#rivalOf(serial, s) : undefined;
    if (rival) return this.#conflicting(s, serial!, rival, address);
    if (serial) this.#claim(serial, s);
    const sweptFirst = boxId && address ? await this.#sweptFirst(boxId, address, s.port ?? 22) : undefined;
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
      const box = this.#deps.inventory.recordSighting({
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
      const merged = sweptFirst ? (this.#deps.inventory.mergeInto(sweptFirst, box.id) ?? box) : box;
      this.#maybeIdentify(merged, address);
      return merged;
    } catch (err) {
      this.#deps.log?.warn({ err, boxId }, 'mdns: recording a sighting failed');
      return undefined;
    }
  }

  /**
   * A sweep may have found this box first and known it by its host key: when the key at this
   * address is that one, the announcement is the same box, which then takes its serial's id. Asked
   * whenever the announced box does not hold the address yet (an A record may come after the TXT),
   * and asked again when the probe fails: a sweep in full swing keeps sshd busy enough to drop it.
   * Only a box nobody has pinned yet takes a swept box in: a pinned one keeps the keys it was
   * pinned with.
   */
  async #sweptFirst(boxId: string, address: string, port: number): Promise<string | undefined> {
    const { inventory } = this.#deps;
    const announced = inventory.get(boxId);
    if (announced && (announced.addresses.includes(address) || announced.trust !== 'unknown')) return undefined;
    const swept = inventory.find(address);
    if (!swept?.id.startsWith('key:') || swept.serial !== null || !swept.addresses.includes(address)) return undefined;
    for (let attempt = 1; attempt <= KEY_TRIES && !this.#running.signal.aborted; attempt++) {
      const fp = await (this.#deps.probeKey ?? probeFirstKey)(address, port).catch(() => undefined);
      if (fp !== undefined) return fp !== null && `key:${fp}` === swept.id ? swept.id : undefined;
      if (attempt < KEY_TRIES) await this.#wait(KEY_RETRY_MS);
    }
    return undefined;
  }

  /** A box whose key is pinned is asked who it is, once a session; what it says beats its TXT. */
  #maybeIdentify(box: Box, address: string | null): void {
    const identify = this.#deps.identify;
    if (!identify || this.#identified.has(box.id) || box.trust === 'unknown' || box.trust === 'changed') return;
    this.#identified.add(box.id);
    this.#track(
      identify(box.id)
        .catch(() => null)
        .then((facts) => {
          if (!facts) return;
          const { inventory } = this.#deps;
          inventory.recordSighting({
            boxId: box.id,
            source: 'mdns',
            address,
            arch: facts.arch,
            model: facts.model,
            vendor: facts.vendor,
            k3sVersion: facts.k3sVersion,
            facts: { identified: 'ssh', ...(facts.machineId ? { machineId: facts.machineId } : {}) },
          });
          // A box known only by its host key that reports a serial number or machine-id already in
          // the inventory (seen over its cable, say) is that box: the merge rules, in their order.
          if (box.id.startsWith('key:') && !box.conflict) {
            const known = [facts.serial, facts.machineId ? `mid:${facts.machineId}` : null].find((id) => id && inventory.get(id));
            if (known) inventory.mergeInto(box.id, known);
          }
          if (facts.serial && box.serial && facts.serial !== box.serial) {
            inventory.setConflict(box.id, `It announces serial number ${box.serial}, but the box itself reports ${facts.serial}. Check its label.`);
          }
        }),
    );
  }

  /** Another present announcement of this serial number from a different host, if any. */
  #rivalOf(serial: string, s: MdnsSighting): { instance: string; host: string | null } | undefined {
    for (const [instance, host] of this.#claims.get(serial) ?? []) if (instance !== s.instance && host !== s.hostname) return { instance, host };
    return undefined;
  }

  #claim(serial: string, s: MdnsSighting): void {
    const claims = this.#claims.get(serial) ?? new Map<string, string | null>();
    claims.set(s.instance, s.hostname);
    this.#claims.set(serial, claims);
  }

  /**
   * A second box claims a serial number that a box on the LAN already announces (a cloned image, a
   * typo at the factory, or a box pretending to be another). It is kept as a box of its own, known
   * by its host key, and both are flagged for the technician to look at.
   */
  async #conflicting(s: MdnsSighting, serial: string, rival: { instance: string; host: string | null }, address: string | null): Promise<Box | undefined> {
    const { inventory } = this.#deps;
    const fp = address ? await (this.#deps.probeKey ?? probeFirstKey)(address, s.port ?? 22).catch(() => null) : null;
    const boxId = fp ? `key:${fp}` : `dup:${s.instance}`;
    this.#instances.set(s.instance, boxId);
    const where = (host: string | null, at: string | null) => `${host ?? 'a box'}${at ? ` at ${at}` : ''}`;
    try {
      inventory.recordSighting({
        boxId,
        source: 'mdns',
        address,
        hostname: s.hostname ?? (s.label || undefined),
        serial,
        model: s.txt.model ?? null,
        vendor: s.txt.vendor ?? null,
        arch: s.txt.arch ?? null,
        facts: { instance: s.instance, ...s.txt },
      });
      inventory.setConflict(
        boxId,
        `Claims serial number ${serial}, which ${where(rival.host, inventory.get(serial)?.addresses[0] ?? null)} announces too. Not merged: check both labels.`,
      );
      if (inventory.get(serial)) inventory.setConflict(serial, `Serial number ${serial} is also claimed by ${where(s.hostname, address)}. Not merged: check both labels.`);
      return inventory.get(boxId);
    } catch (err) {
      this.#deps.log?.warn({ err, boxId }, 'mdns: recording a conflicting sighting failed');
      return undefined;
    }
  }

  /**
   * A cable appeared: the box it leads to is the one a login already identified on that port, else a
   * cable-only box named from its prompt until a login identifies it. The prompt's hostname names
   * the row and is never a reason to merge: any console can print any name, and boxes merge only
   * by serial number, machine-id or host key.
   */
  async #plugged(port: SerialPortInfo): Promise<Box | undefined> {
    const { inventory, log } = this.#deps;
    const [info] = await withOsDetails([port]);
    const banner = await this.#banner(port.path);
    const boxes = inventory.list();
    const box = boxes.find((b) => b.consolePath === port.path && !b.id.startsWith(CABLE_ONLY));
    const facts: Record<string, string> = {};
    for (const [k, v] of Object.entries({
      chip: info?.chip,
      adapterSerial: info?.adapterSerial,
      manufacturer: info?.manufacturer,
      vendorId: info?.vendorId,
      productId: info?.productId,
    }))
      if (v) facts[k] = v;
    try {
      return inventory.recordSighting({
        boxId: box?.id ?? `${CABLE_ONLY}${(port.adapterSerial ?? port.path).slice(0, 200)}`,
        source: 'serial',
        address: port.path,
        consolePath: port.path,
        // A cable-only box is named from its prompt; a known box keeps its name.
        hostname: box ? undefined : (banner.hostname ?? `Box on ${info?.chip ?? 'a USB-serial'} cable`),
        facts,
      });
    } catch (err) {
      log?.warn({ err, path: port.path }, 'serial: recording a cable failed');
      return undefined;
    }
  }

  /**
   * The login prompt's hostname. A console that someone else holds right now (a terminal program,
   * a command) is asked again a few times, a few seconds apart, while the cable stays plugged in.
   */
  async #banner(p: string): Promise<{ hostname: string | null }> {
    const read = this.#deps.readBanner ?? readLoginBanner;
    for (let attempt = 1; ; attempt++) {
      try {
        const banner = await read(p);
        // A console that was just closed by someone else hangs up and its getty starts again: a
        // silent one is asked once more, a moment later.
        if (banner.hostname !== null || attempt >= 2) return banner;
      } catch (err) {
        this.#deps.log?.debug({ err, path: p, attempt }, 'serial: no login prompt read');
        if (attempt >= BANNER_TRIES) return { hostname: null };
      }
      if (!this.#cables) return { hostname: null };
      await this.#wait(BANNER_RETRY_MS);
      if (this.#running.signal.aborted) return { hostname: null };
    }
  }

  /**
   * The neighbour table adds the MAC address to boxes that are on the LAN now (announcing over
   * mDNS). It never brings a box back on its own: an ARP entry outlives the box by minutes.
   */
  async #readNeighbours(): Promise<void> {
    const present = new Set(this.#instances.values());
    for (const n of await (this.#deps.neighbours ?? readNeighbours)()) {
      const box = this.#deps.inventory.find(n.address);
      if (!box || !present.has(box.id) || !box.addresses.includes(n.address)) continue;
      this.#deps.inventory.recordSighting({ boxId: box.id, source: 'neighbour', address: n.address, facts: { mac: n.mac, ...(n.iface ? { iface: n.iface } : {}) } });
    }
  }

  #unplugged(port: SerialPortInfo): void {
    for (const b of this.#deps.inventory.list()) if (b.consolePath === port.path) this.#deps.inventory.markGone(b.id, 'cable');
  }

  #gone(instance: string): void {
    for (const [serial, claims] of this.#claims) if (claims.delete(instance) && claims.size === 0) this.#claims.delete(serial);
    const boxId = this.#instances.get(instance);
    this.#instances.delete(instance);
    if (boxId && ![...this.#instances.values()].includes(boxId)) this.#deps.inventory.markGone(boxId, 'lan');
  }
}

async function probeFirstKey(host: string, port: number): Promise<string | null> {
  const keys = await probeHostKeys(host, port, { timeoutMs: 3000 });
  return keys[0]?.fingerprint ?? null;
}

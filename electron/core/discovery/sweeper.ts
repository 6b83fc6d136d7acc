import os from 'node:os';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Job } from '../../../shared/model.ts';
import type { JobRegistry } from '../jobs/index.ts';
import type { Logger } from '../log/index.ts';
import { MAX_UNFORCED, checkSweepRange, intToIp, ipToInt, type SweepRange } from './cidr.ts';
import { recordSwept, type SweepMergeDeps, type SweepOutcome } from './merge.ts';
import { SWEEP_DEFAULTS, SWEEP_PORTS, sweep, type SweepOptions } from './sweep.ts';

export interface SweeperDeps extends SweepMergeDeps {
  jobs: JobRegistry;
  log?: Logger;
  /** Tests tune the scanner (shorter timeouts, a fake key probe). */
  options?: Omit<SweepOptions, 'signal' | 'onProgress' | 'onHost'>;
}

/** What a sweep will do, for the technician to confirm before it starts. */
export interface SweepPlan extends SweepRange {
  ports: number[];
  concurrency: number;
  ratePerSecond: number;
}

export interface SweepSummary {
  cidr: string;
  addresses: number;
  /** Addresses with an open 22 or 6443. */
  open: number;
  boxes: Array<{ address: string; boxId: string; hostname: string; serial: string | null; matched: string; banner: string | null }>;
  keyChanged: Array<{ address: string; boxId: string | null }>;
  unidentified: Array<{ address: string; reason: string }>;
  elapsedMs: number;
}

/** A progress event per address would flood every front door on a /16: a few a second is plenty. */
const PROGRESS_EVERY_MS = 100;

/**
 * The sweep use case every front door calls: checks the range (the one CIDR rule), runs the scan as
 * a job (progress "N of M addresses", cancel through jobs.cancel) and turns what answered into
 * inventory sightings (source 'sweep'), which reach every front door as box.changed as they happen.
 * One sweep at a time.
 */
export class Sweeper {
  readonly #deps: SweeperDeps;
  #running: Job | null = null;

  constructor(deps: SweeperDeps) {
    this.#deps = deps;
  }

  plan(cidr: string, force = false): SweepPlan {
    const range = checkSweepRange(cidr, { force });
    return {
      ...range,
      ports: [...(this.#deps.options?.ports ?? SWEEP_PORTS)],
      concurrency: this.#deps.options?.concurrency ?? SWEEP_DEFAULTS.concurrency,
      ratePerSecond: this.#deps.options?.ratePerSecond ?? SWEEP_DEFAULTS.ratePerSecond,
    };
  }

  start(input: { cidr: string; force?: boolean }, hooks: { onOutcome?: (o: SweepOutcome) => void } = {}): { job: Job; plan: SweepPlan; done: Promise<SweepSummary> } {
    const plan = this.plan(input.cidr, input.force);
    if (this.#running)
      throw new FieldlinkError('CONFLICT', `A scan of ${this.#running.title.replace(/^Scanning /, '')} is already running: wait for it or cancel it first.`, {
        jobId: this.#running.id,
      });
    const { inventory, trust, log } = this.#deps;
    const summary: SweepSummary = { cidr: plan.cidr, addresses: plan.count, open: 0, boxes: [], keyChanged: [], unidentified: [], elapsedMs: 0 };
    const step = (done: number) =>
      `${done.toLocaleString('en-US')} of ${plan.count.toLocaleString('en-US')} addresses · ${summary.boxes.length} ${summary.boxes.length === 1 ? 'box' : 'boxes'} found`;
    const { job, done } = this.#deps.jobs.start('discovery', `Scanning ${plan.cidr}`, async (ctx) => {
      let last = 0;
      let lastDone = 0;
      ctx.progress(0, step(0));
      log?.info({ cidr: plan.cidr, addresses: plan.count, forced: plan.forced }, 'sweep: started');
      const scan = await sweep(plan, {
        ...this.#deps.options,
        signal: ctx.signal,
        onProgress: (p) => {
          lastDone = p.done;
          summary.open = p.open;
          const now = performance.now();
          if (now - last < PROGRESS_EVERY_MS && p.done < p.total) return;
          last = now;
          ctx.progress(p.done / p.total, step(p.done));
        },
        onHost: (h) => {
          let outcome: SweepOutcome;
          try {
            outcome = recordSwept({ inventory, trust }, h);
          } catch (err) {
            log?.warn({ err, address: h.address }, 'sweep: recording a sighting failed');
            return;
          }
          if (outcome.kind === 'box')
            summary.boxes.push({
              address: h.address,
              boxId: outcome.box.id,
              hostname: outcome.box.hostname,
              serial: outcome.box.serial,
              matched: outcome.matched,
              banner: h.banner,
            });
          else if (outcome.kind === 'key-changed') {
            summary.keyChanged.push({ address: h.address, boxId: outcome.boxId });
            log?.warn({ address: h.address, boxId: outcome.boxId }, 'sweep: an address answered with a host key other than its pin; flagged, not merged');
          } else summary.unidentified.push({ address: h.address, reason: outcome.reason });
          hooks.onOutcome?.(outcome);
          ctx.progress(lastDone / plan.count, step(lastDone));
        },
      });
      summary.elapsedMs = Math.round(scan.elapsedMs);
      summary.boxes.sort((a, b) => (ipToInt(a.address) ?? 0) - (ipToInt(b.address) ?? 0));
      const flagged = summary.keyChanged.length ? ` · ${summary.keyChanged.length} key changed!` : '';
      ctx.progress(1, `Scanned ${plan.count.toLocaleString('en-US')} addresses · ${summary.boxes.length} ${summary.boxes.length === 1 ? 'box' : 'boxes'} found${flagged}`);
      log?.info({ cidr: plan.cidr, boxes: summary.boxes.length, keyChanged: summary.keyChanged.length, ms: summary.elapsedMs }, 'sweep: done');
      return summary;
    });
    this.#running = job;
    void done.then(
      () => (this.#running = null),
      () => (this.#running = null),
    );
    return { job, plan, done };
  }
}

/**
 * The laptop's own IPv4 subnets, to offer in "Scan subnet": each interface's network, cut down to a
 * /24 around the laptop's address when it is bigger than a sweep takes without force.
 */
export function localSubnets(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): Array<{ cidr: string; interface: string; address: string }> {
  const out: Array<{ cidr: string; interface: string; address: string }> = [];
  for (const [name, list] of Object.entries(ifaces)) {
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || i.internal || !i.cidr) continue;
      const ip = ipToInt(i.address);
      if (ip === null) continue;
      const prefix = Math.max(Number(i.cidr.split('/')[1]), Number(i.cidr.split('/')[1]) < MAX_UNFORCED ? 24 : 0);
      if (prefix >= 32) continue;
      const net = (ip & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
      try {
        out.push({ cidr: checkSweepRange(`${intToIp(net)}/${prefix}`).cidr, interface: name, address: i.address });
      } catch {
        // Not a range a sweep may touch (e.g. 169.254/16 is fine, but 0/8 is not): not offered.
      }
    }
  }
  return out;
}

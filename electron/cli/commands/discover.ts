import { FieldlinkError } from '../../../shared/errors.ts';
import type { Box } from '../../../shared/model.ts';
import type { Command } from '../command.ts';
import { parseDuration } from '../connect.ts';
import { boxRows } from './boxes.ts';
import { Sweeper, type SweepSummary } from '../../core/discovery/index.ts';

export const discover: Command = {
  name: 'discover',
  usage: '[--timeout 3s] [--watch] [--no-mdns] [--sweep CIDR [--force]] [--serial]',
  summary: 'find boxes on the LAN (mDNS, and an opt-in subnet sweep) and add them to the inventory',
  options: {
    timeout: { type: 'string', description: 'how long to listen for mDNS (default 3s; a sweep runs to its end)' },
    watch: { type: 'boolean', description: 'keep listening and print each box as it appears or changes, until Ctrl-C' },
    'no-mdns': { type: 'boolean', description: 'do not listen for mDNS announcements' },
    sweep: { type: 'string', description: 'also knock on port 22 and 6443 of every address in CIDR (at most a /16), reading SSH host keys without logging in' },
    force: { type: 'boolean', description: 'with --sweep: allow a range bigger than a /16 (up to a /8)' },
    serial: { type: 'boolean', description: 'also look for boxes on USB-serial cables: lists them, and names each box from its console prompt (one Enter, no login)' },
  },
  async run({ app, out, options, signal }) {
    if (options.force && options.sweep === undefined) throw new FieldlinkError('BAD_REQUEST', '--force goes with --sweep CIDR.');
    const cidr = typeof options.sweep === 'string' ? options.sweep : options.sweep === undefined ? null : '';
    const mdns = !options['no-mdns'];
    const serial = options.serial === true;
    if (!mdns && !serial && cidr === null) throw new FieldlinkError('BAD_REQUEST', 'With --no-mdns there is nothing to discover: add --sweep CIDR or --serial.');
    const ms = typeof options.timeout === 'string' ? parseDuration(options.timeout, '--timeout') : 3000;
    const core = app();
    const sweeper = cidr === null ? null : new Sweeper({ jobs: core.jobs, inventory: core.inventory, trust: core.trust, log: core.log });
    // The one CIDR rule, before anything is sent: a refused range exits 2 with the core's sentence.
    const plan = sweeper?.plan(cidr!, options.force === true);
    const seen = new Map<string, Box>();
    const off = core.bus.on('box.changed', (box) => {
      const first = !seen.has(box.id);
      seen.set(box.id, box);
      if (options.watch || sweeper) out.progress(`${first ? 'found' : 'changed'}: ${box.hostname} ${box.serial ?? ''} ${box.addresses[0] ?? ''} (${box.reach})`);
    });
    const listen = mdns || serial;
    if (listen) {
      const what = [mdns ? 'mDNS announcements' : '', serial ? 'serial cables' : ''].filter(Boolean).join(' and ');
      out.progress(options.watch ? `Listening for ${what}; Ctrl-C to stop.` : `Listening for ${what} for ${ms / 1000} s…`);
      core.discovery.start({ mdns, serial });
    }
    let summary: SweepSummary | undefined;
    try {
      const listening = listen
        ? new Promise<void>((resolve) => {
            const done = () => resolve();
            signal.addEventListener('abort', done, { once: true });
            if (!options.watch) setTimeout(done, ms).unref();
          })
        : Promise.resolve();
      if (sweeper && plan) {
        out.progress(
          `Scanning ${plan.cidr}: ${plan.count.toLocaleString('en-US')} addresses on port${plan.ports.length === 1 ? '' : 's'} ${plan.ports.join(' and ')}, ${plan.concurrency} at a time${plan.normalised ? ` (${cidr!.trim()} is in ${plan.cidr})` : ''}…`,
        );
        const { job, done } = sweeper.start(
          { cidr: plan.cidr, force: options.force === true },
          {
            onOutcome: (o) => {
              if (o.kind === 'key-changed')
                out.progress(`KEY CHANGED: ${o.address} answered with a host key other than the one pinned${o.boxId ? ` for box ${o.boxId}` : ''}; flagged, not merged.`);
            },
          },
        );
        const cancel = () => core.jobs.cancel(job.id);
        signal.addEventListener('abort', cancel, { once: true });
        let lastPrinted = 0;
        const offJob = core.bus.on('job.changed', (j) => {
          if (j.id !== job.id || !j.step || (Date.now() - lastPrinted < 1000 && j.state === 'running')) return;
          lastPrinted = Date.now();
          out.progress(j.step);
        });
        try {
          summary = await done;
        } finally {
          offJob();
          signal.removeEventListener('abort', cancel);
        }
      }
      await listening;
    } finally {
      // Bounded, and with a timer that holds the process: a cable still being read when listening
      // ends must not leave the command waiting on nothing (node then exits mid-await, status 13).
      if (listen) await Promise.race([core.discovery.stop(), new Promise((r) => setTimeout(r, 3000))]);
      off();
    }
    const boxes = [...seen.values()].map((b) => core.inventory.get(b.id) ?? b).sort((a, b) => a.hostname.localeCompare(b.hostname));
    out.progress(`${boxes.length} box${boxes.length === 1 ? '' : 'es'} answered.`);
    if (!summary) {
      out.result(boxes, () => (boxes.length ? boxRows(boxes) : 'No box answered. Check that this laptop is on the site LAN, or plug in a USB-serial cable.'));
      return 0;
    }
    const s = summary;
    out.result({ boxes, sweep: s }, () => {
      const lines = [boxes.length ? boxRows(boxes) : `No box answered on ${s.cidr}.`];
      lines.push(
        '',
        `Swept ${s.cidr}: ${s.addresses.toLocaleString('en-US')} addresses, ${s.open} with 22 or 6443 open, ${s.boxes.length} SSH boxes, in ${(s.elapsedMs / 1000).toFixed(1)} s.`,
      );
      for (const k of s.keyChanged)
        lines.push(`KEY CHANGED! ${k.address}${k.boxId ? ` (box ${k.boxId})` : ''}: a host key other than its pin. Check it over the serial cable before trusting it.`);
      for (const u of s.unidentified) lines.push(`not added: ${u.address}: ${u.reason}`);
      return lines.join('\n');
    });
    return 0;
  },
};

import { FieldlinkError } from '../../../shared/errors.ts';
import type { Box } from '../../../shared/model.ts';
import type { Command } from '../command.ts';
import { parseDuration } from '../connect.ts';
import { boxRows } from './boxes.ts';

export const discover: Command = {
  name: 'discover',
  usage: '[--timeout 3s] [--watch] [--no-mdns] [--sweep CIDR] [--serial]',
  summary: 'find boxes on the LAN (mDNS) and add them to the inventory',
  options: {
    timeout: { type: 'string', description: 'how long to listen (default 3s)' },
    watch: { type: 'boolean', description: 'keep listening and print each box as it appears or changes, until Ctrl-C' },
    'no-mdns': { type: 'boolean', description: 'do not listen for mDNS announcements' },
    sweep: { type: 'string', description: 'also sweep a subnet for SSH (not built yet)' },
    serial: { type: 'boolean', description: 'also look for boxes on USB-serial cables (not built yet)' },
  },
  async run({ app, out, options, signal }) {
    if (options.sweep !== undefined || options.serial) {
      throw new FieldlinkError('BAD_REQUEST', 'Subnet sweeps and serial-port discovery are not built yet; run `fieldlink discover` for mDNS, or `fieldlink trust serial:PATH` for a cable.');
    }
    if (options['no-mdns']) throw new FieldlinkError('BAD_REQUEST', 'With --no-mdns there is nothing to discover yet (sweep and serial come next).');
    const ms = typeof options.timeout === 'string' ? parseDuration(options.timeout, '--timeout') : 3000;
    const core = app();
    const seen = new Map<string, Box>();
    const off = core.bus.on('box.changed', (box) => {
      const first = !seen.has(box.id);
      seen.set(box.id, box);
      if (options.watch) out.progress(`${first ? 'found' : 'changed'}: ${box.hostname} ${box.serial ?? ''} ${box.addresses[0] ?? ''} (${box.reach})`);
    });
    out.progress(options.watch ? 'Listening for mDNS announcements; Ctrl-C to stop.' : `Listening for mDNS announcements for ${ms / 1000} s…`);
    core.discovery.start();
    try {
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        signal.addEventListener('abort', done, { once: true });
        if (!options.watch) setTimeout(done, ms).unref();
      });
    } finally {
      await core.discovery.stop();
      off();
    }
    const boxes = [...seen.values()].map((b) => core.inventory.get(b.id) ?? b).sort((a, b) => a.hostname.localeCompare(b.hostname));
    out.progress(`${boxes.length} box${boxes.length === 1 ? '' : 'es'} answered.`);
    out.result(boxes, () => (boxes.length ? boxRows(boxes) : 'No box answered. Check that this laptop is on the site LAN, or plug in a USB-serial cable.'));
    return 0;
  },
};

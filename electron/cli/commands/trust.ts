import fs from 'node:fs';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Command, CommandContext } from '../command.ts';
import { askOnTerminal, connectOptions, connectOptionSpecs } from '../connect.ts';
import { table } from '../output.ts';

export const trust: Command = {
  name: 'trust',
  usage: 'TARGET [--fingerprint SHA256:…] | --import FILE | --export [--hash]',
  summary: "pin a box's SSH host key (serial:PATH reads it out of band over the cable)",
  options: {
    fingerprint: { type: 'string', description: 'the fingerprint from the box label or a QR code; pinned only if the box really offers it' },
    'accept-new': connectOptionSpecs['accept-new']!,
    'password-stdin': connectOptionSpecs['password-stdin']!,
    timeout: connectOptionSpecs.timeout!,
    import: { type: 'string', description: 'pin the keys of an OpenSSH known_hosts file (hashed entries matched against the inventory)' },
    export: { type: 'boolean', description: 'print the pins as an OpenSSH known_hosts file' },
    hash: { type: 'boolean', description: 'with --export: hash host names, as ssh-keygen -H does' },
    replace: { type: 'string', description: 'with serial:PATH: this address was pinned with other keys for no box; replace them with the keys read over the cable' },
  },
  async run(ctx) {
    if (typeof ctx.options.import === 'string') return importFile(ctx, ctx.options.import);
    if (ctx.options.export) return exportFile(ctx);
    const [text, ...extra] = ctx.args;
    if (!text || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink trust TARGET [--fingerprint SHA256:…]');
    const app = ctx.app();
    const target = app.connections.resolve(text);
    const opts = await connectOptions(ctx);

    if (target.kind === 'serial') {
      ctx.out.progress(`Reading the host keys over ${target.path} (a few seconds at ${target.baud} baud)…`);
      const replace = typeof ctx.options.replace === 'string' ? [ctx.options.replace] : [];
      const r = await app.connections.trustOverSerial(text, { ...opts, replace });
      ctx.out.result(r, () =>
        [
          `Pinned by cable for ${r.hostname || r.boxId} (${r.pinned.join(', ') || 'no LAN address yet'}):`,
          table(
            ['HOST', 'KEY', 'FINGERPRINT'],
            r.pins.map((p) => [`${p.host}:${p.port}`, p.keyType, p.fingerprint]),
          ),
          ...r.conflicts.map((c) => `REFUSED ${c.address}: the box reports it, but it is pinned for box ${c.boxId} (that pin was kept). Check which box really has this address.`),
          ...r.unconfirmed.map(
            (u) =>
              `NOT PINNED ${u.address}: pinned before with other keys (${u.pins.map((p) => `${p.keyType} ${p.fingerprint}`).join(', ')}). If this box really has that address, run again with --replace ${u.address}.`,
          ),
        ].join('\n'),
      );
      return r.conflicts.length || r.unconfirmed.length ? 1 : 0;
    }

    const port = target.port ?? 22;
    if (typeof ctx.options.fingerprint === 'string') {
      const k = await app.hostTrust.pinTyped({ host: target.host, port, fingerprint: ctx.options.fingerprint, boxId: target.boxId }, opts);
      ctx.out.result(
        { host: target.host, port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'typed' },
        () => `Pinned by hand: ${target.host}:${port} ${k.keyType} ${k.fingerprint}`,
      );
      return 0;
    }

    // Pinned only where nothing is pinned yet; any added or differing key is refused as a change.
    let listing = '';
    const r = await app.hostTrust.pinFirstUse(
      { host: target.host, port, boxId: target.boxId },
      {
        ...opts,
        accept: async (offered) => {
          listing = table(
            ['KEY', 'FINGERPRINT', 'PINNED'],
            offered.map((k) => [k.keyType, k.fingerprint, k.pinned]),
          );
          return Boolean(ctx.options['accept-new']) || askOnTerminal(`${target.host}:${port} offers:\n${listing}\nCompare with the box label. Trust these keys?`);
        },
      },
    );
    if (r.already) {
      ctx.out.result({ host: target.host, port, pins: r.pins }, () => `${target.host}:${port} is already pinned to the keys it offers; nothing changed.`);
      return 0;
    }
    if (!r.pinned) {
      ctx.out.result(
        { host: target.host, port, offered: r.offered, pinned: false },
        () => `${listing}\nNot pinned. Check the fingerprint on the box label, then run: fieldlink trust ${text} --fingerprint SHA256:…`,
      );
      return 1;
    }
    ctx.out.result({ host: target.host, port, pins: r.pins }, () => `Pinned on first use (weakest trust: prefer the cable or the label next time):\n${listing}`);
    return 0;
  },
};

function importFile(ctx: CommandContext, file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new FieldlinkError('NOT_FOUND', `Cannot read ${file}.`);
  }
  const app = ctx.app();
  // Hashed lines can only be matched against names we know: the inventory's addresses.
  const candidates = app.inventory.list().flatMap((b) => b.addresses.map((host) => ({ host, port: 22 })));
  const r = app.hostTrust.importKnownHosts(text, candidates);
  ctx.out.result(r, () =>
    [
      `${r.pinned} keys pinned from ${file}.`,
      ...r.conflicts.map((c) => `CONFLICT ${c.host}:${c.port} ${c.keyType}: pinned ${c.pinned}, file says ${c.file} (kept the pin)`),
      r.hashedUnmatched ? `${r.hashedUnmatched} hashed entries matched no known box address.` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return r.conflicts.length ? 1 : 0;
}

function exportFile(ctx: CommandContext): number {
  const app = ctx.app();
  const r = app.hostTrust.exportKnownHosts({ hash: Boolean(ctx.options.hash) });
  if (r.missingKey.length) ctx.out.progress(`${r.missingKey.length} pins have no full key on this laptop yet (connect once to fetch it); left out.`);
  ctx.out.result({ knownHosts: r.text, exported: r.exported }, () => r.text);
  return 0;
}

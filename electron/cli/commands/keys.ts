import { ensureTechnicianKey } from '../../core/keys/index.ts';
import type { Command } from '../command.ts';

export const keys: Command = {
  name: 'keys',
  usage: '',
  summary: "this laptop's technician key (created on first use): the public line boxes should trust",
  async run({ app, out }) {
    const key = ensureTechnicianKey(app().dataDir);
    out.result({ publicKey: key.publicKey, fingerprint: key.fingerprint, privateKeyPath: key.privateKeyPath, created: key.created }, () =>
      [
        key.created ? 'Created a new technician key for this laptop.' : 'The technician key of this laptop:',
        '',
        key.publicKey,
        '',
        `fingerprint: ${key.fingerprint}`,
        `private key: ${key.privateKeyPath} (never leaves this laptop)`,
      ].join('\n'),
    );
    return 0;
  },
};

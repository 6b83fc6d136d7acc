import type { Box } from '../../../shared/model.ts';
import type { Command } from '../command.ts';
import { table } from '../output.ts';

const TRUST_WORDS = { cable: 'Pinned by cable', typed: 'Pinned by hand', 'first-use': 'First use', unknown: 'Unknown', changed: 'KEY CHANGED!' } as const;
const STATE_WORDS = { new: 'New from factory', provisioned: 'Provisioned', attention: 'Needs attention', unreachable: 'Unreachable', unknown: 'Unknown' } as const;

export const boxes: Command = {
  name: 'boxes',
  usage: '',
  summary: 'the inventory: every box found at this site',
  async run({ app, out }) {
    const list = app().inventory.list();
    out.result(list, () => (list.length === 0 ? 'No boxes yet. Connect to the site LAN and run `fieldlink discover`, or plug in a USB-serial cable.' : boxRows(list)));
    return 0;
  },
};

const BOX_HEADER = ['HOSTNAME', 'SERIAL', 'MODEL', 'ADDRESS', 'REACH', 'STATE', 'TRUST', 'LAST SEEN'];

/** The inventory as a table for people (box-supplied text is stripped of escapes by table()). */
export function boxRows(list: Box[]): string {
  return table(
    BOX_HEADER,
    list.map((b) => [b.hostname, b.serial ?? '-', b.model ?? '-', b.addresses[0] ?? '-', b.reach, STATE_WORDS[b.state], TRUST_WORDS[b.trust], b.lastSeen]),
  );
}

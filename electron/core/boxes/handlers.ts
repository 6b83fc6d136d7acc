import { FieldlinkError } from '../../../shared/errors.ts';
import type { Inventory } from '../db/index.ts';
import type { HandlersOf } from '../rpc/index.ts';

export function boxHandlers({ inventory }: { inventory: Inventory }): HandlersOf<'boxes'> {
  return {
    'boxes.list': () => inventory.list(),
    'boxes.get': ({ id }) => {
      const box = inventory.find(id);
      if (!box) throw new FieldlinkError('NOT_FOUND', `No box called ${id} in the inventory. Run discovery or add it by address.`);
      return box;
    },
  };
}

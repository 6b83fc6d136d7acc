import { FieldlinkError } from '../../../../shared/errors.ts';
import { parseTarget } from '../target.ts';

/** `serial:/dev/ttyUSB0?baud=115200` → its path and baud (115200 when not given). */
export function parseSerialTarget(text: string): { path: string; baud: number } {
  const t = parseTarget(text, () => undefined);
  if (t.kind !== 'serial') throw new FieldlinkError('BAD_REQUEST', 'A serial target is written serial:PATH[?baud=115200].');
  return { path: t.path, baud: t.baud };
}

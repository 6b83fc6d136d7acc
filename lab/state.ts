import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FieldlinkError } from '../shared/errors.ts';
import { paths } from './config.ts';

export const BoxRecord = z.object({
  name: z.string(),
  index: z.number().int(),
  ns: z.string(),
  serial: z.string(),
  model: z.string(),
  vendor: z.string(),
  arch: z.enum(['amd64', 'arm64']),
  ip: z.string(),
  mac: z.string(),
  password: z.string(),
  machineId: z.string(),
  baud: z.number().int(),
  /** Which network manager's files configure the box (lab/box/files/lab-net applies them). */
  network: z.enum(['netplan', 'systemd-networkd', 'networkmanager']).default('systemd-networkd'),
  /** Provisioned by `up --provisioned`; the live state is read from the box itself. */
  provisionedAtUp: z.boolean(),
});
export type BoxRecord = z.infer<typeof BoxRecord>;

export const LabState = z.object({
  version: z.literal(1),
  phase: z.enum(['building', 'up']),
  createdAt: z.string(),
  options: z.object({
    boxes: z.number().int(),
    provisioned: z.number().int(),
    scenario: z.string(),
    baud: z.number().int(),
    consoleNoiseS: z.number(),
  }),
  boxes: z.array(BoxRecord),
});
export type LabState = z.infer<typeof LabState>;

export function readState(): LabState | null {
  let text: string;
  try {
    text = fs.readFileSync(paths.state(), 'utf8');
  } catch {
    return null;
  }
  try {
    return LabState.parse(JSON.parse(text));
  } catch (e) {
    throw new FieldlinkError('STORAGE', `The lab state file ${paths.state()} is damaged; run fieldlink-lab down, then up.`, undefined, {
      cause: e,
    });
  }
}

/** Written atomically: a crash mid-write must leave the old state, never half a file. */
export function writeState(s: LabState): void {
  const file = paths.state();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 2));
  fs.renameSync(tmp, file);
}

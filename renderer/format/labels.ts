import type { AuditAction, Box, BoxState, HealthWord, Reach, TrustLevel } from '../../shared/model.ts';

/**
 * The words a technician reads for each status. Status is never colour alone: every dot carries
 * one of these words, and the tone picks both the colour and the dot's shape.
 */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';
export interface Label {
  word: string;
  tone: Tone;
}

const HEALTH: Record<HealthWord, Label> = {
  healthy: { word: 'Healthy', tone: 'ok' },
  attention: { word: 'Needs attention', tone: 'warn' },
  down: { word: 'Down', tone: 'bad' },
  unknown: { word: 'Not checked', tone: 'neutral' },
};

const STATE: Record<BoxState, Label> = {
  new: { word: 'New from factory', tone: 'info' },
  provisioned: { word: 'Provisioned', tone: 'ok' },
  attention: { word: 'Needs attention', tone: 'warn' },
  unreachable: { word: 'Unreachable', tone: 'bad' },
  unknown: { word: 'Not checked', tone: 'neutral' },
};

const TRUST: Record<TrustLevel, Label> = {
  cable: { word: 'Pinned by cable', tone: 'ok' },
  typed: { word: 'Pinned by hand', tone: 'ok' },
  'first-use': { word: 'First use', tone: 'info' },
  unknown: { word: 'Unknown', tone: 'neutral' },
  changed: { word: 'Key changed!', tone: 'bad' },
};

const REACH: Record<Reach, Label> = {
  lan: { word: 'LAN', tone: 'ok' },
  cable: { word: 'Cable', tone: 'ok' },
  both: { word: 'LAN + cable', tone: 'ok' },
  none: { word: 'Not seen', tone: 'neutral' },
};

const UNKNOWN: Label = { word: 'Unknown', tone: 'neutral' };

// Values come from the core, but a newer core may send a word this UI does not know yet.
export const healthLabel = (h: HealthWord): Label => HEALTH[h] ?? UNKNOWN;
export const stateLabel = (s: BoxState): Label => STATE[s] ?? UNKNOWN;
export const trustLabel = (t: TrustLevel): Label => TRUST[t] ?? UNKNOWN;
export const reachLabel = (r: Reach): Label => REACH[r] ?? UNKNOWN;

/** The header line of a box: how the technician can reach it right now. */
export function connectionLabel(box: Pick<Box, 'reach'>): Label {
  switch (box.reach) {
    case 'both':
    case 'lan':
      return { word: 'Reachable over LAN', tone: 'ok' };
    case 'cable':
      return { word: 'Reachable over cable', tone: 'ok' };
    default:
      return { word: 'Not seen in the last 10 min', tone: 'neutral' };
  }
}

/** A new box gets provisioned; everything else gets opened. */
export function mainAction(box: Pick<Box, 'state'>): 'provision' | 'open' {
  return box.state === 'new' ? 'provision' : 'open';
}

/** Needs a look: the core says so, the box is down or unreachable, its key changed, or its sightings disagree. */
export function needsAttention(box: Pick<Box, 'state' | 'health' | 'trust'> & { conflict?: string | null }): boolean {
  return box.state === 'attention' || box.state === 'unreachable' || box.health === 'attention' || box.health === 'down' || box.trust === 'changed' || Boolean(box.conflict);
}

/** Audit actions in words; an action this UI does not know yet is shown as the core wrote it. */
const ACTIONS: Record<AuditAction, string> = {
  'trust.pin': 'Host key pinned',
  'trust.refused': 'Host key refused',
  'trust.import': 'known_hosts imported',
  'credentials.remember': 'Password remembered',
  'credentials.forget': 'Password forgotten',
  'keys.install': 'Technician key installed',
  'provision.step': 'Provisioning step',
  'provision.run': 'Provisioned',
  'logs.collect': 'Logs collected',
  'sync.upload': 'Logs uploaded',
};
export function actionLabel(action: string): string {
  return (ACTIONS as Record<string, string>)[action] ?? action;
}

import type { Settings } from '../../../shared/model.ts';

/** The settings form holds text as typed; it becomes a Settings patch only when every field reads right. */
export interface SettingsDraft {
  technician: string;
  site: string;
  collectorUrl: string;
  quotaGb: string;
}

/** GB as Windows shows it (GiB): the default 2 GiB quota reads as 2. */
const GB = 1024 ** 3;
const MAX_TEXT = 200;

export function draftFrom(s: Settings): SettingsDraft {
  return {
    technician: s.technician,
    site: s.site,
    collectorUrl: s.collectorUrl ?? '',
    quotaGb: String(Math.round((s.quotaBytes / GB) * 100) / 100),
  };
}

export type PatchResult = { ok: true; patch: Partial<Settings> } | { ok: false; errors: Partial<Record<keyof SettingsDraft, string>> };

/** Only what changed goes to the core; each field's problem is said next to that field. */
export function patchFrom(d: SettingsDraft, current: Settings): PatchResult {
  const errors: Partial<Record<keyof SettingsDraft, string>> = {};
  const patch: Partial<Settings> = {};

  const technician = d.technician.trim();
  if (!technician) errors.technician = 'Type your name or initials: the audit trail records who did what.';
  else if (technician.length > MAX_TEXT) errors.technician = `At most ${MAX_TEXT} characters.`;
  else if (technician !== current.technician) patch.technician = technician;

  const site = d.site.trim();
  if (site.length > MAX_TEXT) errors.site = `At most ${MAX_TEXT} characters.`;
  else if (site !== current.site) patch.site = site;

  const url = d.collectorUrl.trim();
  if (!url) {
    if (current.collectorUrl !== null) patch.collectorUrl = null;
  } else {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) errors.collectorUrl = 'Type a full address starting with https:// (or http:// on a lab network).';
    else if (url !== current.collectorUrl) patch.collectorUrl = url;
  }

  const gb = Number(d.quotaGb.trim().replace(',', '.'));
  if (d.quotaGb.trim() === draftFrom(current).quotaGb) {
    // Untouched: rounding for display must not rewrite the stored value.
  } else if (!d.quotaGb.trim() || !Number.isFinite(gb) || gb <= 0) errors.quotaGb = 'Type a size in GB greater than 0, e.g. 2 or 0.5.';
  else if (gb > 10_000) errors.quotaGb = 'That is more than 10 TB; type the size in GB.';
  else {
    const bytes = Math.round(gb * GB);
    if (bytes !== current.quotaBytes) patch.quotaBytes = bytes;
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, patch };
}

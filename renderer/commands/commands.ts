import type { Box, Theme } from '../../shared/model.ts';
import type { Route } from '../stores/types.ts';

/**
 * The main actions, in one table: the command palette lists them and the keyboard shortcuts fire
 * them, so a shortcut always does exactly what its palette entry says.
 */
export type CommandAction = { kind: 'navigate'; route: Route } | { kind: 'theme'; theme: Theme } | { kind: 'scan' } | { kind: 'add' } | { kind: 'focus-search' };

export interface Command {
  id: string;
  title: string;
  /** Shown in the palette and the nav tooltips, e.g. "Alt+1". */
  keys: string | null;
  action: CommandAction;
}

export const STATIC_COMMANDS: Command[] = [
  { id: 'go-fleet', title: 'Go to Fleet', keys: 'Alt+1', action: { kind: 'navigate', route: { view: 'fleet' } } },
  { id: 'go-provision', title: 'Go to Provision', keys: 'Alt+2', action: { kind: 'navigate', route: { view: 'provision', ids: [] } } },
  { id: 'go-logs', title: 'Go to Logs and sync', keys: 'Alt+3', action: { kind: 'navigate', route: { view: 'logs' } } },
  { id: 'go-console', title: 'Go to Console', keys: 'Alt+4', action: { kind: 'navigate', route: { view: 'console', target: null } } },
  { id: 'go-settings', title: 'Go to Settings', keys: 'Alt+5', action: { kind: 'navigate', route: { view: 'settings' } } },
  { id: 'search', title: 'Search boxes', keys: '/', action: { kind: 'focus-search' } },
  { id: 'scan', title: 'Scan subnet', keys: 'Alt+S', action: { kind: 'scan' } },
  { id: 'add', title: 'Add box by address', keys: 'Alt+A', action: { kind: 'add' } },
  { id: 'theme-light', title: 'Theme: light', keys: null, action: { kind: 'theme', theme: 'light' } },
  { id: 'theme-dark', title: 'Theme: dark', keys: null, action: { kind: 'theme', theme: 'dark' } },
  { id: 'theme-contrast', title: 'Theme: high contrast (sunlight)', keys: 'Alt+H', action: { kind: 'theme', theme: 'contrast' } },
];

const MAX_RESULTS = 30;

/** Commands plus "Open <box>" for every box, filtered by every typed word, best matches first. */
export function paletteResults(query: string, boxes: Box[]): Command[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const all: Command[] = [
    ...STATIC_COMMANDS,
    ...boxes.map((b) => ({
      id: `open-${b.id}`,
      title: `Open ${b.hostname}${b.serial && b.serial !== b.hostname ? ` (${b.serial})` : ''}`,
      keys: null,
      action: { kind: 'navigate', route: { view: 'box', id: b.id, tab: 'health' } } as CommandAction,
    })),
  ];
  if (words.length === 0) return all.slice(0, MAX_RESULTS);
  const scored: { c: Command; score: number }[] = [];
  for (const c of all) {
    const t = c.title.toLowerCase();
    if (!words.every((w) => t.includes(w))) continue;
    // Prefix matches of the first word rank first: "sc" means Scan before "Theme: high contrast".
    const score = words.reduce((s, w) => s + (t.startsWith(w) || t.includes(` ${w}`) ? 2 : 1), 0);
    scored.push({ c, score });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, MAX_RESULTS).map((x) => x.c);
}

export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** True when the focus is in a text field, where bare keys belong to the field. */
  inField: boolean;
}

/** Maps a key press to a command id, or 'palette' for Ctrl/Cmd+K; null when the key is not ours. */
export function shortcutFor(k: KeyLike): string | null {
  const key = k.key.toLowerCase();
  if ((k.ctrlKey || k.metaKey) && !k.altKey && key === 'k') return 'palette';
  if (k.altKey && !k.ctrlKey && !k.metaKey) {
    // Alt+digit: use the physical key, since Alt changes the typed character on some layouts.
    const digit = k.code?.startsWith('Digit') ? k.code.slice(5) : key;
    const byDigit: Record<string, string> = { '1': 'go-fleet', '2': 'go-provision', '3': 'go-logs', '4': 'go-console', '5': 'go-settings' };
    if (byDigit[digit]) return byDigit[digit];
    const letter = k.code?.startsWith('Key') ? k.code.slice(3).toLowerCase() : key;
    if (letter === 's') return 'scan';
    if (letter === 'a') return 'add';
    if (letter === 'h') return 'theme-contrast';
  }
  if (!k.inField && !k.ctrlKey && !k.metaKey && !k.altKey && key === '/') return 'search';
  return null;
}

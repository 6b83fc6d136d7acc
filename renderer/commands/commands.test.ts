import { describe, expect, it } from 'vitest';
import type { Box } from '../../shared/model.ts';
import { paletteResults, shortcutFor, STATIC_COMMANDS, type KeyLike } from './commands.ts';

const key = (k: Partial<KeyLike> & { key: string }): KeyLike => ({ ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, inField: false, ...k });
const box = (id: string, hostname: string): Box => ({
  id,
  hostname,
  serial: id,
  model: null,
  vendor: null,
  arch: null,
  addresses: [],
  consolePath: null,
  reach: 'lan',
  state: 'provisioned',
  trust: 'unknown',
  health: 'unknown',
  k3sVersion: null,
  conflict: null,
  firstSeen: '',
  lastSeen: '',
});

describe('command palette', () => {
  it('lists every main action when nothing is typed', () => {
    const ids = paletteResults('', []).map((c) => c.id);
    for (const c of STATIC_COMMANDS) expect(ids).toContain(c.id);
  });
  it('finds a command by any word in any order', () => {
    expect(paletteResults('sett', [])[0]!.id).toBe('go-settings');
    expect(paletteResults('contrast theme', [])[0]!.id).toBe('theme-contrast');
    expect(paletteResults('zzzz', [])).toEqual([]);
  });
  it('opens a box by name or serial', () => {
    const r = paletteResults('edge-07', [box('SN-7', 'edge-07'), box('SN-8', 'edge-08')]);
    expect(r).toHaveLength(1);
    expect(r[0]!.action).toEqual({ kind: 'navigate', route: { view: 'box', id: 'SN-7', tab: 'health' } });
  });
  it('stays short with a big fleet', () => {
    const many = Array.from({ length: 500 }, (_, i) => box(`SN-${i}`, `box-${i}`));
    expect(paletteResults('box', many).length).toBeLessThanOrEqual(30);
  });
});

describe('shortcuts', () => {
  it('opens the palette with Ctrl+K or Cmd+K', () => {
    expect(shortcutFor(key({ key: 'k', ctrlKey: true }))).toBe('palette');
    expect(shortcutFor(key({ key: 'K', metaKey: true }))).toBe('palette');
  });
  it('moves between views with Alt+digit, by physical key', () => {
    expect(shortcutFor(key({ key: '¡', code: 'Digit1', altKey: true }))).toBe('go-fleet');
    expect(shortcutFor(key({ key: '5', code: 'Digit5', altKey: true }))).toBe('go-settings');
    expect(shortcutFor(key({ key: 'ß', code: 'KeyS', altKey: true }))).toBe('scan');
  });
  it('leaves / to a text field that has the focus', () => {
    expect(shortcutFor(key({ key: '/' }))).toBe('search');
    expect(shortcutFor(key({ key: '/', inField: true }))).toBeNull();
    expect(shortcutFor(key({ key: 'a' }))).toBeNull();
  });
  it('every shortcut named in the palette is one shortcutFor knows', () => {
    for (const c of STATIC_COMMANDS.filter((c) => c.keys?.startsWith('Alt+'))) {
      const ch = c.keys!.slice(4);
      const code = /^\d$/.test(ch) ? `Digit${ch}` : `Key${ch}`;
      expect(shortcutFor(key({ key: ch.toLowerCase(), code, altKey: true }))).toBe(c.id);
    }
  });
});

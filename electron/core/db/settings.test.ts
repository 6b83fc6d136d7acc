import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { SettingsStore } from './settings.ts';

describe('settings', () => {
  it('starts from defaults and keeps what is set', () => {
    const s = new SettingsStore(openDatabase(':memory:'));
    expect(s.get().theme).toBe('light');
    s.set({ theme: 'contrast', site: 'Plant 4' });
    expect(s.get()).toMatchObject({ theme: 'contrast', site: 'Plant 4' });
  });

  it('rejects a value that does not fit and changes nothing', () => {
    const s = new SettingsStore(openDatabase(':memory:'));
    expect(() => s.set({ theme: 'neon' as never })).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ path: ['theme'], code: 'invalid_value' })]) }),
    );
    expect(s.get().theme).toBe('light');
  });

  it('falls back to the default for a stored value an older version wrote badly', () => {
    const db = openDatabase(':memory:');
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('theme', JSON.stringify('sepia'));
    expect(new SettingsStore(db).get().theme).toBe('light');
  });
});

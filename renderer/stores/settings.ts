import type { StateCreator } from 'zustand';
import type { AppState, SettingsSlice } from './types.ts';

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set, get) => ({
  settings: null,
  setSettings: (settings) => set({ settings }),
  saveSettings: async (patch) => {
    const before = get().settings;
    // The theme answers at once (a technician squinting in the sun should not wait for a round trip);
    // everything else waits for the core to accept it.
    if (before && patch.theme) set({ settings: { ...before, theme: patch.theme } });
    try {
      const saved = await get().client.call('settings.set', patch);
      set({ settings: saved });
      return saved;
    } catch (err) {
      if (before && patch.theme) set({ settings: { ...get().settings!, theme: before.theme } });
      throw err;
    }
  },
});

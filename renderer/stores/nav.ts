import type { StateCreator } from 'zustand';
import type { AppState, NavSlice } from './types.ts';

export const createNavSlice: StateCreator<AppState, [], [], NavSlice> = (set) => ({
  route: { view: 'fleet' },
  paletteOpen: false,
  dialog: null,
  navigate: (route) => set({ route, paletteOpen: false }),
  setDialog: (dialog) => set({ dialog, paletteOpen: false }),
  setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
});

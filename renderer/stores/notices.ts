import type { StateCreator } from 'zustand';
import { explain } from '../errors.ts';
import type { AppState, NoticesSlice } from './types.ts';

const MAX_NOTICES = 4;
let nextId = 1;

export const createNoticesSlice: StateCreator<AppState, [], [], NoticesSlice> = (set) => ({
  notices: [],
  notify: (err) => set((s) => ({ notices: [...s.notices, { id: nextId++, error: explain(err) }].slice(-MAX_NOTICES) })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
});

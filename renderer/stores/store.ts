import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldlinkClient } from '../../shared/api.ts';
import { createBoxesSlice } from './boxes.ts';
import { createConsoleSlice } from './console.ts';
import { createCoreSlice } from './core.ts';
import { createNavSlice } from './nav.ts';
import { createNoticesSlice } from './notices.ts';
import { createSettingsSlice } from './settings.ts';
import { createStatusSlice } from './status.ts';
import type { AppState } from './types.ts';

/** The whole UI state, built from slices around one client (the real one in the app, any in tests). */
export function createAppStore(client: FieldlinkClient): StoreApi<AppState> {
  return createStore<AppState>()((...a) => ({
    client,
    ...createCoreSlice(...a),
    ...createBoxesSlice(...a),
    ...createStatusSlice(...a),
    ...createSettingsSlice(...a),
    ...createNavSlice(...a),
    ...createNoticesSlice(...a),
    ...createConsoleSlice(...a),
  }));
}

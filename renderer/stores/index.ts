import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { useSyncExternalStore } from 'react';
import { client, connection, type ConnectionState } from '../api.ts';
import { ConsoleSinks } from './console.ts';
import { wireEvents } from './events.ts';
import { createAppStore } from './store.ts';
import type { AppState } from './types.ts';

export type { AppState, Route, BoxTab, ViewName, Notice, DialogName } from './types.ts';
export { createAppStore } from './store.ts';
export { wireEvents } from './events.ts';
export { ConsoleSinks } from './console.ts';
export {
  fleetCounts,
  countsSentence,
  matchesQuery,
  matchesFilter,
  sortForFleet,
  sortFleet,
  FLEET_FILTERS,
  type FleetCounts,
  type FleetFilter,
  type FleetSort,
  type FleetSortKey,
} from './selectors.ts';
export { runningJobs } from './status.ts';

/** The app's one store and the one sink table for terminal output, both around the real client. */
export const appStore = createAppStore(client);
export const consoleSinks = new ConsoleSinks();

let unwire: (() => void) | null = null;
/** Subscribes to the core's events (once) and loads the first state. */
export function startStore(): Promise<void> {
  if (!unwire) {
    const offEvents = wireEvents(client, appStore, consoleSinks);
    // Events sent while the link was down are lost: after a reconnect, read the whole state again.
    let wasDown = false;
    const offConn = connection.subscribe((c) => {
      if (c.status === 'connected' && wasDown) void appStore.getState().load();
      wasDown = c.status !== 'connected';
    });
    unwire = () => {
      offEvents();
      offConn();
    };
  }
  return appStore.getState().load();
}

/** Where the link to the core stands (always connected inside Electron). */
export function useConnection(): ConnectionState {
  return useSyncExternalStore(connection.subscribe, connection.getState);
}
export const retryConnection = (): void => connection.retryNow();

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}
/** For selectors that build a new object or array: re-render only when its parts change. */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, useShallow(selector));
}

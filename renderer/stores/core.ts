import type { StateCreator } from 'zustand';
import { explain } from '../errors.ts';
import type { AppState, CoreSlice } from './types.ts';

export const createCoreSlice: StateCreator<AppState, [], [], CoreSlice> = (set, get) => ({
  info: null,
  loadError: null,
  loaded: false,
  load: async () => {
    const { client } = get();
    try {
      // Events may already be flowing (wired first, so nothing is missed); list results merge with them.
      const [info, settings, status, boxes, jobs] = await Promise.all([
        client.call('app.info', {}),
        client.call('settings.get', {}),
        client.call('status.get', {}),
        client.call('boxes.list', {}),
        client.call('jobs.list', {}),
      ]);
      get().upsertBoxes(boxes);
      get().setStatus(status);
      get().upsertJobs(jobs);
      set({ info, settings: get().settings ?? settings, loadError: null, loaded: true });
    } catch (err) {
      set({ loadError: explain(err), loaded: true });
    }
  },
});

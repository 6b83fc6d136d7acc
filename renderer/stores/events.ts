import type { FieldlinkClient } from '../../shared/api.ts';
import type { Box } from '../../shared/model.ts';
import type { StoreApi } from 'zustand';
import type { ConsoleSinks } from './console.ts';
import type { AppState } from './types.ts';

/** A scan can report hundreds of boxes in a second; one store update per frame is plenty. */
const BOX_FLUSH_MS = 50;

/**
 * The one place the UI subscribes to the core's events. Everything else reads the store (or, for
 * terminal output, the console sinks). Returns the unsubscribe for all of them.
 */
export function wireEvents(client: FieldlinkClient, store: StoreApi<AppState>, sinks: ConsoleSinks): () => void {
  let pending = new Map<string, Box>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    const list = [...pending.values()];
    pending = new Map();
    store.getState().upsertBoxes(list);
  };

  const offs = [
    client.on('box.changed', (box) => {
      pending.set(box.id, box);
      timer ??= setTimeout(flush, BOX_FLUSH_MS);
    }),
    client.on('box.removed', ({ id }) => {
      pending.delete(id);
      store.getState().removeBox(id);
    }),
    client.on('job.changed', (job) => store.getState().upsertJobs([job])),
    client.on('status.changed', (status) => store.getState().setStatus(status)),
    client.on('settings.changed', (settings) => {
      store.getState().setSettings(settings);
      // The status bar's collector line derives from the settings; the core only re-sends status on job changes.
      client.call('status.get', {}).then(
        (status) => store.getState().setStatus(status),
        () => {
          // A failed refresh leaves the last status on screen; the next status.changed corrects it.
        },
      );
    }),
    client.on('console.data', ({ sessionId, data }) => sinks.push(sessionId, data)),
    client.on('console.state', (session) => store.getState().setSession(session)),
  ];
  return () => {
    for (const off of offs) off();
    if (timer) clearTimeout(timer);
    flush();
  };
}

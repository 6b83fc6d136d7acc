import type { HandlersOf } from '../rpc/index.ts';
import type { HealthWatchers } from './watchers.ts';

/** Health calls: watching a box's model, and its pods' logs (through the same box API). */
export function healthHandlers({ watchers }: { watchers: HealthWatchers }): HandlersOf<'health'> {
  return {
    'health.watch': ({ boxId }) => watchers.watch(boxId),
    'health.unwatch': ({ boxId }) => (watchers.unwatch(boxId), {}),
    'health.get': ({ boxId }) => watchers.get(boxId),
    'health.podLog': async ({ follow, ...q }) => (follow ? { text: '', truncated: false, streamId: watchers.follow(q) } : { ...(await watchers.podLog(q)), streamId: null }),
    'health.stopPodLog': ({ streamId }) => (watchers.stopFollow(streamId), {}),
    'health.savePodLog': (q) => watchers.savePodLog(q),
  };
}

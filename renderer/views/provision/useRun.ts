import { useCallback, useEffect, useRef, useState } from 'react';
import type { ProvisionRun } from '../../../shared/provision.ts';
import { explain, type Explained } from '../../errors.ts';
import { useApp } from '../../stores/index.ts';

/**
 * One provisioning run at a time, followed through provision.changed: start() asks the core for
 * a run (a dry run for the review, a real one for Run) and the hook keeps its latest state.
 */
export function useRun(): {
  run: ProvisionRun | null;
  error: Explained | null;
  start: (o: { boxIds: string[]; text: string; path?: string; dryRun: boolean }) => Promise<void>;
  cancel: () => void;
  reset: () => void;
} {
  const client = useApp((s) => s.client);
  const [run, setRun] = useState<ProvisionRun | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const current = useRef<string | null>(null);

  useEffect(
    () =>
      client.on('provision.changed', (r) => {
        if (r.runId === current.current) setRun(r);
      }),
    [client],
  );

  const start = useCallback(
    async (o: { boxIds: string[]; text: string; path?: string; dryRun: boolean }) => {
      setError(null);
      try {
        const r = await client.call('provision.start', { ...o, parallel: 10 });
        current.current = r.runId;
        setRun(r);
      } catch (err) {
        setError(explain(err));
      }
    },
    [client],
  );
  const cancel = useCallback(() => {
    if (run?.state === 'running') client.call('jobs.cancel', { id: run.jobId }).catch(() => undefined);
  }, [client, run]);
  const reset = useCallback(() => {
    current.current = null;
    setRun(null);
    setError(null);
  }, []);
  return { run, error, start, cancel, reset };
}

import { useState } from 'react';
import { formatBytes, plural } from '../format/bytes.ts';
import { safeText } from '../format/text.ts';
import { absoluteTime, clockTime } from '../format/time.ts';
import { runningJobs } from '../stores/status.ts';
import { retryConnection, useApp, useAppShallow, useConnection } from '../stores/index.ts';
import { Icon } from './Icon.tsx';
import { Dot } from './StatusWord.tsx';

/** Always visible: collector reachability, what waits in the outbox, and the jobs running now. */
export function StatusBar() {
  const status = useApp((s) => s.status);
  const jobs = useAppShallow((s) => runningJobs(s.jobs));
  const cancelJob = useApp((s) => s.cancelJob);
  const [showJobs, setShowJobs] = useState(false);
  const link = useConnection();

  const collector = status?.collector;
  const collectorText = !collector
    ? 'Collector: checking…'
    : !collector.url
      ? 'Collector not set'
      : collector.online
        ? 'Collector online'
        : collector.since
          ? `Offline since ${clockTime(collector.since)}`
          : 'Collector not checked yet';
  // Never checked is not the same as offline: say which, and only warn about a real outage.
  const collectorTone = !collector?.url || !collector.since ? 'neutral' : collector.online ? 'ok' : 'warn';
  const outbox = status?.outbox;

  return (
    <footer className="statusbar" aria-label="Status">
      {link.status === 'reconnecting' || link.status === 'unauthorized' ? (
        <span className="status-item status-core tone-bad" role="alert" title={link.message ?? undefined}>
          <Dot tone="bad" />
          {link.status === 'unauthorized' ? 'This window lost its session: open Fieldlink again' : `Lost the connection to Fieldlink, retrying (try ${link.attempt})`}
          {link.status === 'reconnecting' ? (
            <button type="button" className="link" onClick={retryConnection}>
              Retry now
            </button>
          ) : null}
        </span>
      ) : null}
      <span
        className={`status-item tone-${collectorTone}`}
        title={collector?.url ? `${collector.url}${collector.since ? ` — since ${absoluteTime(collector.since)}` : ''}` : 'Set the collector address in Settings'}
      >
        <Icon name={collector?.online ? 'cloud' : 'cloudOff'} size={16} />
        <Dot tone={collectorTone} />
        {collectorText}
      </span>
      <span className="status-item" title="Log segments collected on this laptop and not yet uploaded">
        <Icon name="inbox" size={16} />
        {outbox && outbox.segments > 0 ? `Outbox: ${plural(outbox.segments, 'segment')}, ${formatBytes(outbox.bytes)} waiting` : 'Outbox empty'}
      </span>
      <span className="status-spacer" />
      {jobs.length === 0 ? (
        <span className="status-item muted">No jobs running</span>
      ) : (
        <button type="button" className="status-item status-jobs" onClick={() => setShowJobs((v) => !v)} aria-expanded={showJobs}>
          {plural(jobs.length, 'job')} running: {safeText(jobs[0]!.title, 60)}
          <Progress value={jobs[0]!.progress} />
        </button>
      )}
      {showJobs && jobs.length > 0 ? (
        <div className="jobs-popover" role="dialog" aria-label="Running jobs">
          {jobs.map((j) => (
            <div key={j.id} className="job-row">
              <div>
                <div className="job-title">{safeText(j.title)}</div>
                <div className="job-step muted">{j.step ? safeText(j.step) : 'Starting…'}</div>
                <Progress value={j.progress} />
              </div>
              <button type="button" className="btn" onClick={() => void cancelJob(j.id)}>
                Cancel
              </button>
            </div>
          ))}
        </div>
      ) : null}
    </footer>
  );
}

/** A determinate bar when the size of the work is known, an honest "working" stripe when not. */
export function Progress({ value }: { value: number | null }) {
  return value === null ? (
    <span className="progress indeterminate" role="progressbar" aria-label="Working, size unknown" />
  ) : (
    <span className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(value * 100)}>
      <span style={{ width: `${Math.round(value * 100)}%` }} />
    </span>
  );
}

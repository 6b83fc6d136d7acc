import { useCallback, useEffect, useState } from 'react';
import type { LogListing, LogSegment } from '../../../shared/logs.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { RelTime } from '../../components/RelTime.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import type { Label } from '../../format/labels.ts';
import { explain, type Explained } from '../../errors.ts';
import { formatBytes, plural } from '../../format/bytes.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

const SHOWN = 300;

const STATE: Record<LogSegment['syncState'], Label> = {
  waiting: { word: 'Waiting', tone: 'neutral' },
  uploading: { word: 'Uploading', tone: 'info' },
  synced: { word: 'Synced', tone: 'ok' },
};

/** Logs and sync: what is kept on this laptop, what waits for the collector, and Sync now. */
export function LogsView() {
  const client = useApp((s) => s.client);
  const settings = useApp((s) => s.settings);
  const jobs = useApp((s) => s.jobs);
  const [listing, setListing] = useState<LogListing | null>(null);
  const [failure, setFailure] = useState<Explained | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  // The job this page started, else the newest sync (the background one runs without a click).
  const job =
    (jobId ? jobs[jobId] : undefined) ??
    Object.values(jobs)
      .filter((j) => j.kind === 'sync')
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  const syncing = job?.state === 'running';

  const reload = useCallback(() => {
    client.call('logs.list', {}).then(setListing, (err: unknown) => setFailure(explain(err)));
  }, [client]);
  // Again whenever the sync job moves: its rows turn Synced as their receipts come.
  useEffect(reload, [reload, job?.state, job?.step]);

  const sync = async () => {
    setFailure(null);
    try {
      setJobId((await client.call('logs.sync', {})).jobId);
    } catch (err) {
      setFailure(explain(err));
    }
  };

  return (
    <div className="view logs">
      <header className="view-header">
        <div>
          <h1>Logs and sync</h1>
          <p className="subtitle">Logs collected from boxes wait here until the collector is reachable, then upload once, without loss or duplicates.</p>
        </div>
        <div className="header-actions">
          <button type="button" className="btn primary" disabled={syncing || !settings?.collectorUrl} onClick={() => void sync()}>
            <Icon name="refresh" /> {syncing ? 'Syncing…' : 'Sync now'}
          </button>
        </div>
      </header>
      {job ? <JobLine state={job.state} step={job.step} progress={job.progress} error={job.error} /> : null}
      {failure ? <ErrorNotice error={failure} onDismiss={() => setFailure(null)} /> : null}
      <LogsCards listing={listing} onTokenSaved={reload} />
      {listing && listing.segments.length > 0 ? (
        <SegmentsTable segments={listing.segments} more={listing.truncated || listing.segments.length > SHOWN} />
      ) : (
        <EmptyState icon="logs" title="No logs collected yet.">
          <p>Collect a box's logs with `fieldlink logs collect BOX`; they are listed here by box and source, each marked waiting, uploading or synced.</p>
        </EmptyState>
      )}
    </div>
  );
}

/** Where logs go, what waits, and how much of the quota they use. */
function LogsCards({ listing, onTokenSaved }: { listing: LogListing | null; onTokenSaved: () => void }) {
  const status = useApp((s) => s.status);
  const settings = useApp((s) => s.settings);
  const navigate = useApp((s) => s.navigate);
  const usage = listing?.usage;
  const quota = usage?.quotaBytes ?? settings?.quotaBytes ?? 0;
  const used = quota > 0 && usage ? Math.min(1, usage.bytes / quota) : 0;
  return (
    <div className="cards">
      <div className="card">
        <h3>Collector</h3>
        {settings?.collectorUrl ? (
          <p className="mono">{safeText(settings.collectorUrl, 120)}</p>
        ) : (
          <p>
            Not set.{' '}
            <button type="button" className="link" onClick={() => navigate({ view: 'settings' })}>
              Set it in Settings
            </button>
          </p>
        )}
        <p className="muted">
          {!status?.collector.since ? (
            'Not checked yet.'
          ) : (
            <>
              {status.collector.online ? 'Reachable' : 'Not reachable'} since <RelTime iso={status.collector.since} />.
            </>
          )}
        </p>
        {listing && !listing.tokenSet ? <TokenForm onSaved={onTokenSaved} /> : null}
      </div>
      <div className="card">
        <h3>Waiting to upload</h3>
        <p>{usage && usage.waitingSegments > 0 ? `${plural(usage.waitingSegments, 'segment')}, ${formatBytes(usage.waitingBytes)}` : 'Nothing waiting.'}</p>
        {usage && usage.problems > 0 ? <p className="tone-bad">{plural(usage.problems, 'segment')} damaged on disk: kept, never uploaded.</p> : null}
      </div>
      <div className="card">
        <h3>Disk quota</h3>
        <p>
          {formatBytes(usage?.bytes ?? 0)} of {formatBytes(quota)} used
        </p>
        <span className="progress wide" role="progressbar" aria-label="Quota used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)}>
          <span style={{ width: `${Math.round(used * 100)}%` }} />
        </span>
      </div>
    </div>
  );
}

/** A sync or collect job's line: what it does now, its bar, and why it stopped. */
export function JobLine({
  kind = 'Sync',
  state,
  step,
  progress,
  error,
}: {
  kind?: 'Sync' | 'Collect';
  state: string;
  step: string | null;
  progress: number | null;
  error: string | null;
}) {
  const pct = Math.round((progress ?? 0) * 100);
  const doing = kind === 'Sync' ? 'Syncing' : 'Collecting';
  return (
    <div className={`sync-line tone-${state === 'failed' ? 'bad' : state === 'done' ? 'ok' : 'info'}`} role="status" aria-label={kind}>
      <strong>{state === 'running' ? doing : state === 'done' ? `${kind} done` : state === 'cancelled' ? `${kind} cancelled` : `${kind} stopped`}</strong>
      {step ? <span>{safeText(step, 120)}</span> : null}
      {state === 'running' ? (
        <span className="progress" role="progressbar" aria-label={`${kind} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
          <span style={{ width: `${pct}%` }} />
        </span>
      ) : null}
      {error ? <span className="muted">{safeText(error, 400)}</span> : null}
    </div>
  );
}

function TokenForm({ onSaved }: { onSaved: () => void }) {
  const client = useApp((s) => s.client);
  const [token, setToken] = useState('');
  return (
    <form
      className="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        void client.call('logs.setToken', { token }).then(() => {
          setToken('');
          onSaved();
        });
      }}
    >
      <label htmlFor="collector-token">Your collector token</label>
      <input id="collector-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      <button type="submit" className="btn" disabled={!token.trim()}>
        Keep token
      </button>
    </form>
  );
}

export function SegmentsTable({ segments, more }: { segments: LogSegment[]; more: boolean }) {
  return (
    <>
      <table className="table" aria-label="Collected logs">
        <thead>
          <tr>
            <th>Box</th>
            <th>Source</th>
            <th>Last line</th>
            <th>Lines</th>
            <th>Size</th>
            <th>Masked</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {segments.slice(0, SHOWN).map((s) => (
            <tr key={s.hash}>
              <td className="mono">{safeText(s.boxId, 60)}</td>
              <td className="mono">{safeText(s.source, 80)}</td>
              <td>
                <RelTime iso={s.timeTo} />
              </td>
              <td>{s.lines}</td>
              <td>{formatBytes(s.bytes)}</td>
              <td>{Object.values(s.redactions).reduce((a, b) => a + b, 0)}</td>
              <td>{s.problem ? <StatusWord label={{ word: `Damaged (${s.problem})`, tone: 'bad' }} /> : <StatusWord label={STATE[s.syncState]} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more ? <p className="muted">The newest {SHOWN} are shown; `fieldlink logs list` lists all.</p> : null}
    </>
  );
}

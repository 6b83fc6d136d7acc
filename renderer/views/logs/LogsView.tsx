import { EmptyState } from '../../components/EmptyState.tsx';
import { Icon } from '../../components/Icon.tsx';
import { formatBytes, plural } from '../../format/bytes.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

/** Logs and sync: what waits on this laptop, where it goes, and how much disk it may use. */
export function LogsView() {
  const status = useApp((s) => s.status);
  const settings = useApp((s) => s.settings);
  const navigate = useApp((s) => s.navigate);
  const outbox = status?.outbox ?? { segments: 0, bytes: 0 };
  const quota = settings?.quotaBytes ?? 0;
  const used = quota > 0 ? Math.min(1, outbox.bytes / quota) : 0;

  return (
    <div className="view logs">
      <header className="view-header">
        <div>
          <h1>Logs and sync</h1>
          <p className="subtitle">Logs collected from boxes wait here until the collector is reachable, then upload without loss or duplicates.</p>
        </div>
        <div className="header-actions">
          <button type="button" className="btn" disabled title="Uploading is not available yet in this version">
            <Icon name="refresh" /> Sync now
          </button>
        </div>
      </header>
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
          <p className="muted">{!status?.collector.since ? 'Not checked yet.' : status.collector.online ? 'Reachable now.' : 'Not reachable from here right now.'}</p>
        </div>
        <div className="card">
          <h3>Waiting to upload</h3>
          <p>{outbox.segments > 0 ? `${plural(outbox.segments, 'segment')}, ${formatBytes(outbox.bytes)}` : 'Nothing waiting.'}</p>
        </div>
        <div className="card">
          <h3>Disk quota</h3>
          <p>
            {formatBytes(outbox.bytes)} of {formatBytes(quota)} used
          </p>
          <span className="progress wide" role="progressbar" aria-label="Quota used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)}>
            <span style={{ width: `${Math.round(used * 100)}%` }} />
          </span>
        </div>
      </div>
      <EmptyState icon="logs" title="No logs collected yet.">
        <p>
          Collecting logs from boxes and uploading them are not available yet in this version. When they are, this page lists everything collected, grouped by box and source, each
          marked waiting, uploading or synced, with “Sync now”.
        </p>
      </EmptyState>
    </div>
  );
}

import { useCallback, useEffect, useState } from 'react';
import type { LogListing } from '../../../shared/logs.ts';
import type { AuditEntry, Box } from '../../../shared/model.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon, type IconName } from '../../components/Icon.tsx';
import { RelTime } from '../../components/RelTime.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import { explain, type Explained } from '../../errors.ts';
import { actionLabel, connectionLabel, mainAction, stateLabel, trustLabel } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';
import type { BoxTab } from '../../stores/types.ts';
import { LazyConsolePanel as ConsolePanel } from '../console/LazyConsolePanel.tsx';
import { targetsFor } from '../console/targets.ts';
import { SegmentsTable, JobLine } from '../logs/LogsView.tsx';
import { HealthTab } from './HealthTab.tsx';
import { healthBanner } from './pods.ts';
import { useHealth } from './useHealth.ts';

const TABS: { tab: BoxTab; label: string; icon: IconName }[] = [
  { tab: 'health', label: 'Health', icon: 'health' },
  { tab: 'console', label: 'Console', icon: 'console' },
  { tab: 'logs', label: 'Logs', icon: 'logs' },
  { tab: 'config', label: 'Config', icon: 'config' },
  { tab: 'history', label: 'History', icon: 'history' },
];

export function BoxView({ id, tab }: { id: string; tab: BoxTab }) {
  const box = useApp((s) => s.boxes[id]);
  const navigate = useApp((s) => s.navigate);
  if (!box) {
    return (
      <div className="view">
        <EmptyState
          icon="fleet"
          title="This box is not in the inventory any more."
          actions={
            <button type="button" className="btn primary" onClick={() => navigate({ view: 'fleet' })}>
              Back to the Fleet
            </button>
          }
        />
      </div>
    );
  }
  return <OpenBox box={box} tab={tab} />;
}

/** A box in the inventory: its health is watched while the view is open, whichever tab shows. */
function OpenBox({ box, tab }: { box: Box; tab: BoxTab }) {
  const navigate = useApp((s) => s.navigate);
  const health = useHealth(box.id);
  const id = box.id;
  const conn = health.view && health.view.state !== 'none' ? healthBanner(health.view) : connectionLabel(box);
  return (
    <div className="view box-view">
      <header className="view-header">
        <div>
          <button type="button" className="btn ghost back" onClick={() => navigate({ view: 'fleet' })}>
            <Icon name="back" /> Fleet
          </button>
          <h1 title={safeText(box.hostname, 1000)}>{safeText(box.hostname, 80)}</h1>
          <p className="subtitle header-words">
            <StatusWord label={stateLabel(box.state)} />
            <StatusWord label={trustLabel(box.trust)} title="How its SSH host key is pinned" />
            <StatusWord label={conn} />
            <span className="muted">
              last seen <RelTime iso={box.lastSeen} />
            </span>
          </p>
        </div>
        <div className="header-actions">
          {mainAction(box) === 'provision' ? (
            <button type="button" className="btn primary" onClick={() => navigate({ view: 'provision', ids: [box.id] })}>
              <Icon name="provision" /> Provision
            </button>
          ) : null}
        </div>
      </header>
      <div className="tabs" role="tablist" aria-label="Box">
        {TABS.map((t) => (
          <button
            key={t.tab}
            type="button"
            role="tab"
            aria-selected={t.tab === tab}
            className={`tab${t.tab === tab ? ' current' : ''}`}
            onClick={() => navigate({ view: 'box', id, tab: t.tab })}
          >
            <Icon name={t.icon} /> {t.label}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel">
        {tab === 'health' ? <HealthTab box={box} {...health} /> : null}
        {tab === 'console' ? <ConsolePanel targets={targetsFor(box)} boxId={box.id} /> : null}
        {tab === 'logs' ? <LogsTab box={box} /> : null}
        {tab === 'config' ? <ConfigTab box={box} /> : null}
        {tab === 'history' ? <HistoryTab box={box} /> : null}
      </div>
    </div>
  );
}

function LogsTab({ box }: { box: Box }) {
  const client = useApp((s) => s.client);
  const jobs = useApp((s) => s.jobs);
  const [listing, setListing] = useState<LogListing | null>(null);
  const [failure, setFailure] = useState<Explained | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = jobId ? jobs[jobId] : undefined;
  const collecting = job?.state === 'running';
  const reload = useCallback(() => {
    client.call('logs.list', { boxId: box.id }).then(setListing, (err: unknown) => setFailure(explain(err)));
  }, [client, box.id]);
  useEffect(reload, [reload, job?.state]);
  const collect = async () => {
    setFailure(null);
    try {
      setJobId((await client.call('logs.collect', { boxIds: [box.id] })).jobId);
    } catch (err) {
      setFailure(explain(err));
    }
  };
  return (
    <div className="box-logs">
      <div className="header-actions">
        <button type="button" className="btn primary" onClick={() => void collect()} disabled={collecting}>
          <Icon name="logs" /> {collecting ? 'Collecting…' : 'Collect now'}
        </button>
      </div>
      {failure ? <ErrorNotice error={failure} /> : null}
      {job ? <JobLine kind="Collect" state={job.state} step={job.step} progress={job.progress} error={job.error} /> : null}
      {listing && listing.segments.length > 0 ? (
        <SegmentsTable segments={listing.segments} more={listing.truncated} />
      ) : (
        <EmptyState icon="logs" title={`No logs collected from ${safeText(box.hostname, 60)} yet.`}>
          <p>Collect now reads its journal, k3s and /var/log files and kernel messages, redacted, onto this laptop; they sync to the collector when it is in reach.</p>
        </EmptyState>
      )}
    </div>
  );
}

function ConfigTab({ box }: { box: Box }) {
  const facts: [string, string | null][] = [
    ['Box id', box.id],
    ['Serial number', box.serial],
    ['Vendor', box.vendor],
    ['Model', box.model],
    ['Architecture', box.arch],
    ['Addresses', box.addresses.join(', ') || null],
    ['Serial console', box.consolePath],
    ['k3s version', box.k3sVersion],
  ];
  return (
    <>
      <h2 className="section-title">What Fieldlink knows about this box</h2>
      <dl className="facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className={v ? 'mono' : 'muted'}>{v ? safeText(v, 300) : 'Not reported yet'}</dd>
          </div>
        ))}
        <div>
          <dt>First seen</dt>
          <dd>
            <RelTime iso={box.firstSeen} />
          </dd>
        </div>
      </dl>
      <p className="muted note">OS and kernel facts, drift against the box's profile, and “Re-apply profile” come with provisioning, which is not available yet in this version.</p>
    </>
  );
}

function HistoryTab({ box }: { box: Box }) {
  const client = useApp((s) => s.client);
  const [rows, setRows] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    client.call('audit.list', { boxId: box.id, limit: 200 }).then(
      (r) => live && setRows(r),
      (err: unknown) => live && setError(explain(err)),
    );
    return () => {
      live = false;
    };
  }, [client, box.id, attempt]);
  if (error)
    return (
      <ErrorNotice error={error}>
        <button type="button" className="btn" onClick={() => setAttempt((a) => a + 1)}>
          Try again
        </button>
      </ErrorNotice>
    );
  if (!rows) return <p className="loading">Loading the audit trail…</p>;
  if (rows.length === 0)
    return (
      <EmptyState icon="history" title="Nothing recorded for this box yet.">
        <p>Trust decisions, provisioning steps and uploads for this box are written here, with time, who did it and how it ended.</p>
      </EmptyState>
    );
  return (
    <table className="plain-table" aria-label="History">
      <thead>
        <tr>
          <th>When</th>
          <th>What</th>
          <th>Outcome</th>
          <th>Who</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>
              <RelTime iso={r.at} />
            </td>
            <td title={safeText(r.action, 100)}>{safeText(actionLabel(r.action), 60)}</td>
            <td>
              <StatusWord
                label={r.outcome === 'ok' ? { word: 'Done', tone: 'ok' } : r.outcome === 'refused' ? { word: 'Refused', tone: 'bad' } : { word: 'Failed', tone: 'bad' }}
              />
            </td>
            <td>{safeText(r.actor, 60)}</td>
            <td className="detail-cell" title={safeText(r.detail, 4000)}>
              {safeText(r.detail, 160)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

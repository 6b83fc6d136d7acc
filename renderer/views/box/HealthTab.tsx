import { useState } from 'react';
import type { Diagnosis, EventHealth, HealthView, NodeHealth } from '../../../shared/health.ts';
import type { Box } from '../../../shared/model.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { RelTime } from '../../components/RelTime.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import type { Explained } from '../../errors.ts';
import { formatBytes } from '../../format/index.ts';
import type { Label } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';
import { PodLog } from './PodLog.tsx';
import { PodsTable } from './PodsTable.tsx';
import { healthBanner } from './pods.ts';
import { Sparkline } from './Sparkline.tsx';
import type { UsagePoint } from './useHealth.ts';

const SEVERITY: Record<Diagnosis['severity'], Label> = {
  critical: { word: 'Problem', tone: 'bad' },
  warning: { word: 'Warning', tone: 'warn' },
  info: { word: 'Note', tone: 'info' },
};

/** The Health tab: what is wrong first, then the nodes, the pods and the warning events. */
export function HealthTab({ box, view, error, usage, retry }: { box: Box; view: HealthView | null; error: Explained | null; usage: Map<string, UsagePoint[]>; retry: () => void }) {
  const [pod, setPod] = useState<{ namespace: string; name: string } | null>(null);
  const navigate = useApp((s) => s.navigate);
  if (error)
    return (
      <ErrorNotice error={error}>
        <button type="button" className="btn" onClick={retry}>
          Try again
        </button>
      </ErrorNotice>
    );
  if (!view) return <p className="loading">Reaching {safeText(box.hostname, 60)}…</p>;
  const snap = view.snapshot;
  return (
    <div className="health" data-health-state={view.state}>
      <HealthBanner view={view} onConsole={() => navigate({ view: 'box', id: box.id, tab: 'console' })} />
      {snap ? (
        <>
          <DiagnosisCards items={snap.diagnosis} podCount={snap.podCount} />
          <h2 className="section-title">Nodes</h2>
          <NodesTable nodes={snap.nodes} usage={usage} metrics={snap.metrics} />
          <h2 className="section-title">
            Pods{' '}
            <span className="muted">
              ({snap.podCount}
              {snap.podsTruncated ? `, the first ${snap.pods.length} shown` : ''})
            </span>
          </h2>
          <PodsTable pods={snap.pods} onOpen={(p) => setPod({ namespace: p.namespace, name: p.name })} />
          {pod ? (
            <PodLog boxId={box.id} pod={snap.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name) ?? null} podRef={pod} onClose={() => setPod(null)} />
          ) : null}
          <h2 className="section-title">
            Warning events <span className="muted">({snap.warningCount})</span>
          </h2>
          <EventsTable events={snap.warnings} />
        </>
      ) : view.state === 'connecting' ? (
        <p className="loading">Reaching the k3s API of {safeText(box.hostname, 60)}…</p>
      ) : (
        <EmptyState icon="health" title="No health data for this box yet.">
          <p>Fieldlink shows a box's health once it has reached it over the LAN (with a pinned key and a key or remembered password) or over its cable.</p>
        </EmptyState>
      )}
    </div>
  );
}

function HealthBanner({ view, onConsole }: { view: HealthView; onConsole: () => void }) {
  const b = healthBanner(view);
  return (
    <div className={`health-banner tone-${b.tone}`} role="status" data-testid="health-banner">
      <StatusWord label={b} />
      <span className="muted">
        {view.lastGoodAt ? (
          <>
            {b.detail}; data from <RelTime iso={view.lastGoodAt} />
          </>
        ) : (
          b.detail
        )}
      </span>
      {view.error ? (
        <span className="health-error">
          {safeText(view.error.message, 400)}
          {view.error.code === 'AUTH_FAILED' || view.error.code.startsWith('HOST_KEY') ? (
            <button type="button" className="btn" onClick={onConsole}>
              Log in on the Console
            </button>
          ) : null}
        </span>
      ) : null}
    </div>
  );
}

function DiagnosisCards({ items, podCount }: { items: Diagnosis[]; podCount: number }) {
  if (items.length === 0)
    return (
      <div className="diagnosis ok" data-testid="diagnosis-ok">
        <StatusWord label={{ word: 'Nothing wrong found', tone: 'ok' }} />
        <span className="muted">Every node is ready and all {podCount} pods are running or completed.</span>
      </div>
    );
  return (
    <div className="diagnosis-list" aria-label="What is wrong, worst first">
      {items.map((d, i) => (
        <article key={`${d.code}-${i}`} className={`diagnosis-card sev-${d.severity}`} data-code={d.code}>
          <header>
            <StatusWord label={SEVERITY[d.severity]} />
            <h3>{safeText(d.title, 300)}</h3>
          </header>
          {d.evidence.length ? (
            <ul className="evidence">
              {d.evidence.slice(0, 8).map((e, j) => (
                <li key={j} className="mono">
                  {safeText(e, 400)}
                </li>
              ))}
            </ul>
          ) : null}
          <p className="next">
            <strong>Try:</strong> {safeText(d.next, 600)}
          </p>
        </article>
      ))}
    </div>
  );
}

const pct = (used: number | null | undefined, of: number | null | undefined) => (used != null && of ? Math.round((100 * used) / of) : null);

function NodesTable({ nodes, usage, metrics }: { nodes: NodeHealth[]; usage: Map<string, UsagePoint[]>; metrics: boolean }) {
  return (
    <table className="plain-table nodes-table" aria-label="Nodes">
      <thead>
        <tr>
          <th>Node</th>
          <th>Ready</th>
          <th>Pressure</th>
          <th>CPU</th>
          <th>Memory</th>
          <th>k3s / arch</th>
          <th>OS</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => {
          const points = usage.get(n.name) ?? [];
          const cpu = pct(n.usage?.cpuMilli, n.allocatable.cpuMilli);
          const mem = pct(n.usage?.memoryBytes, n.allocatable.memoryBytes);
          return (
            <tr key={n.name}>
              <td className="mono">{safeText(n.name, 80)}</td>
              <td title={safeText(n.readyMessage, 500)}>
                <StatusWord label={n.ready === 'True' ? { word: 'Ready', tone: 'ok' } : { word: `Not ready (${safeText(n.readyReason || n.ready, 40)})`, tone: 'bad' }} />
              </td>
              <td>{n.pressure.length ? <StatusWord label={{ word: n.pressure.map((p) => p.replace('Pressure', '')).join(', '), tone: 'warn' }} /> : 'None'}</td>
              <td>
                {cpu !== null ? `${cpu}% of ${(n.allocatable.cpuMilli ?? 0) / 1000} cores` : metrics ? '—' : 'no metrics'}
                <Sparkline values={points.map((p) => p.cpuMilli)} max={n.allocatable.cpuMilli} label={`CPU of ${safeText(n.name, 60)}`} />
              </td>
              <td>
                {mem !== null ? `${mem}% of ${formatBytes(n.allocatable.memoryBytes ?? 0)}` : metrics ? '—' : 'no metrics'}
                <Sparkline values={points.map((p) => p.memoryBytes)} max={n.allocatable.memoryBytes} label={`Memory of ${safeText(n.name, 60)}`} />
              </td>
              <td className="mono">
                {safeText(n.kubeletVersion, 40)} / {safeText(n.arch, 20)}
              </td>
              <td>{safeText(n.osImage, 60)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function EventsTable({ events }: { events: EventHealth[] }) {
  if (events.length === 0) return <p className="muted">No warning events.</p>;
  return (
    <table className="plain-table events-table" aria-label="Warning events">
      <thead>
        <tr>
          <th>Last seen</th>
          <th>Reason</th>
          <th>Object</th>
          <th>Message</th>
          <th>Count</th>
        </tr>
      </thead>
      <tbody>
        {events.slice(0, 200).map((e, i) => (
          <tr key={i}>
            <td>
              <RelTime iso={e.lastSeen} />
            </td>
            <td>{safeText(e.reason, 60)}</td>
            <td className="mono">{safeText(`${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`, 120)}</td>
            <td>{safeText(e.message, 300)}</td>
            <td>{e.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

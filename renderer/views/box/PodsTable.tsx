import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState } from 'react';
import type { PodHealth } from '../../../shared/health.ts';
import { StatusWord } from '../../components/StatusWord.tsx';
import { safeText } from '../../format/text.ts';
import { age, podFacets, podLabel, shownPods, type PodSort, type PodSortKey, type PodStatusFilter } from './pods.ts';

const ROW_HEIGHT = 44;
const COLUMNS: Array<{ title: string; sort: PodSortKey }> = [
  { title: 'Status', sort: 'trouble' },
  { title: 'Namespace', sort: 'namespace' },
  { title: 'Pod', sort: 'name' },
  { title: 'Ready', sort: 'status' },
  { title: 'Restarts', sort: 'restarts' },
  { title: 'Reason / last exit', sort: 'status' },
  { title: 'Age', sort: 'age' },
  { title: 'Node', sort: 'node' },
];

/**
 * The pods, troubled first: filter by namespace and status, search by name, sort by any column.
 * Only the rows on screen are in the DOM, so 5000 pods render and update like 50.
 */
export function PodsTable({ pods, onOpen }: { pods: PodHealth[]; onOpen: (p: PodHealth) => void }) {
  const [namespace, setNamespace] = useState('');
  const [status, setStatus] = useState<PodStatusFilter>('all');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<PodSort>({ key: 'trouble', desc: false });
  const facets = useMemo(() => podFacets(pods), [pods]);
  const rows = useMemo(() => shownPods(pods, { namespace, status, search, sort }), [pods, namespace, status, search, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });

  return (
    <div className="pods">
      <div className="pods-filters">
        <div className="filter-chips" role="group" aria-label="Pod status">
          <Chip on={status === 'all'} onClick={() => setStatus('all')} text={`All ${pods.length}`} />
          <Chip on={status === 'troubled'} onClick={() => setStatus('troubled')} text={`Not healthy ${facets.troubled}`} />
          {facets.statuses.slice(0, 6).map(([s, n]) => (
            <Chip key={s} on={status === s} onClick={() => setStatus(s)} text={`${safeText(s, 30)} ${n}`} />
          ))}
        </div>
        <label>
          Namespace{' '}
          <select value={namespace} onChange={(e) => setNamespace(e.target.value)} aria-label="Namespace">
            <option value="">All namespaces</option>
            {facets.namespaces.map(([ns, n]) => (
              <option key={ns} value={ns}>
                {safeText(ns, 60)} ({n})
              </option>
            ))}
          </select>
        </label>
        <input type="search" placeholder="Search pods" aria-label="Search pods" value={search} onChange={(e) => setSearch(e.target.value.slice(0, 200))} />
        <span className="muted">{rows.length === pods.length ? `${rows.length} pods` : `${rows.length} of ${pods.length} pods`}</span>
      </div>
      <div className="table-scroll pods-scroll" ref={scroller} role="table" aria-label="Pods" aria-rowcount={rows.length + 1}>
        <div className="table-row table-head pods-row" role="row">
          {COLUMNS.map((c) => (
            <span role="columnheader" key={c.title} aria-sort={sort.key === c.sort ? (sort.desc ? 'descending' : 'ascending') : undefined}>
              <button type="button" className="sort-head" onClick={() => setSort({ key: c.sort, desc: sort.key === c.sort ? !sort.desc : c.sort === 'restarts' })}>
                {c.title}
                {sort.key === c.sort && c.sort !== 'trouble' ? <span aria-hidden="true">{sort.desc ? ' ▼' : ' ▲'}</span> : null}
              </button>
            </span>
          ))}
        </div>
        {rows.length === 0 ? <p className="muted pods-empty">No pods match.</p> : null}
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((v) => {
            const p = rows[v.index]!;
            return <PodRow key={`${p.namespace}/${p.name}`} pod={p} index={v.index} top={v.start} onOpen={onOpen} />;
          })}
        </div>
      </div>
    </div>
  );
}

function Chip({ on, onClick, text }: { on: boolean; onClick: () => void; text: string }) {
  return (
    <button type="button" className={`chip${on ? ' active' : ''}`} aria-pressed={on} onClick={onClick}>
      {text}
    </button>
  );
}

const PodRow = memo(function PodRow({ pod, index, top, onOpen }: { pod: PodHealth; index: number; top: number; onOpen: (p: PodHealth) => void }) {
  const last = pod.containers.find((c) => c.lastTerminated)?.lastTerminated;
  const waiting = pod.containers.find((c) => c.waitingReason);
  const reason = pod.unschedulable?.message || waiting?.waitingMessage || pod.message || (last ? `${last.reason} (exit ${last.exitCode ?? '?'})` : '');
  return (
    <div className="table-row pods-row" role="row" aria-rowindex={index + 2} data-pod={`${pod.namespace}/${pod.name}`} style={{ transform: `translateY(${top}px)` }}>
      <span role="cell">
        <StatusWord label={podLabel(pod)} />
      </span>
      <span role="cell" className="mono">
        {safeText(pod.namespace, 40)}
      </span>
      <span role="cell" className="mono" title={safeText(pod.name, 500)}>
        <button type="button" className="link" onClick={() => onOpen(pod)} title="Logs of this pod">
          {safeText(pod.name, 60)}
        </button>
      </span>
      <span role="cell">
        {pod.readyContainers}/{pod.totalContainers}
      </span>
      <span role="cell">{pod.restarts}</span>
      <span role="cell" className="cell-reason" title={safeText(reason, 1000)}>
        {safeText(reason, 80) || '—'}
      </span>
      <span role="cell">{age(pod.createdAt)}</span>
      <span role="cell" className="mono">
        {safeText(pod.node, 40) || '—'}
      </span>
    </div>
  );
});

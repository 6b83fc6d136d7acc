import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useRef } from 'react';
import type { Box } from '../../../shared/model.ts';
import { RelTime } from '../../components/RelTime.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import { healthLabel, mainAction, reachLabel, stateLabel, trustLabel } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { appStore, useApp, type FleetSort, type FleetSortKey } from '../../stores/index.ts';

const ROW_HEIGHT = 52;
// Model sits under the hostname and the k3s version under the state: every column UX.md lists stays
// visible on a 1366 px laptop without scrolling sideways, and the row's button never scrolls away.
const COLUMNS: Array<{ title: string; sort?: FleetSortKey }> = [
  { title: 'Health', sort: 'worst' },
  { title: 'Hostname / model', sort: 'hostname' },
  { title: 'Serial', sort: 'serial' },
  { title: 'Address', sort: 'address' },
  { title: 'Reached by', sort: 'reach' },
  { title: 'State / k3s', sort: 'state' },
  { title: 'Trust', sort: 'trust' },
  { title: 'Last seen', sort: 'lastSeen' },
  { title: '' },
];

/** Only the rows on screen are in the DOM, so a site of hundreds of boxes scrolls as smoothly as ten. */
export function FleetTable({ rows, sort, onSort }: { rows: Box[]; sort: FleetSort; onSort: (s: FleetSort) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const selected = useApp((s) => s.selected);
  const setSelected = useApp((s) => s.setSelected);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const allSelected = rows.length > 0 && rows.every((b) => selected.includes(b.id));

  return (
    <div className="table-scroll" ref={scroller} role="table" aria-label="Boxes" aria-rowcount={rows.length + 1}>
      <div className="table-row table-head" role="row">
        <span role="columnheader" className="cell-check">
          <input type="checkbox" aria-label="Select all shown boxes" checked={allSelected} onChange={() => setSelected(allSelected ? [] : rows.map((b) => b.id))} />
        </span>
        {COLUMNS.map((c, i) => (
          <span role="columnheader" key={i} aria-sort={c.sort && sort.key === c.sort ? (sort.desc ? 'descending' : 'ascending') : undefined}>
            {c.sort ? (
              <button
                type="button"
                className="sort-head"
                onClick={() => onSort({ key: c.sort!, desc: sort.key === c.sort ? !sort.desc : c.sort === 'lastSeen' })}
                title={`Sort by ${c.title.toLowerCase()}`}
              >
                {c.title}
                {sort.key === c.sort && c.sort !== 'worst' ? <span aria-hidden="true">{sort.desc ? ' ▼' : ' ▲'}</span> : null}
              </button>
            ) : (
              c.title
            )}
          </span>
        ))}
      </div>
      <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
        {virtual.getVirtualItems().map((v) => {
          const box = rows[v.index]!;
          return <FleetRow key={box.id} box={box} index={v.index} top={v.start} checked={selected.includes(box.id)} />;
        })}
      </div>
    </div>
  );
}

const FleetRow = memo(function FleetRow({ box, index, top, checked }: { box: Box; index: number; top: number; checked: boolean }) {
  const action = mainAction(box);
  const open = () => appStore.getState().navigate({ view: 'box', id: box.id, tab: 'health' });
  const provision = () => appStore.getState().navigate({ view: 'provision', ids: [box.id] });
  const address = box.addresses[0] ?? box.consolePath ?? '—';
  return (
    <div
      className={`table-row${checked ? ' selected' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      data-box-id={box.id}
      style={{ transform: `translateY(${top}px)` }}
      onDoubleClick={open}
    >
      <span role="cell" className="cell-check">
        <input type="checkbox" aria-label={`Select ${safeText(box.hostname)}`} checked={checked} onChange={() => appStore.getState().toggleSelected(box.id)} />
      </span>
      <span role="cell">
        <StatusWord label={healthLabel(box.health)} />
      </span>
      <span role="cell" className="cell-two" title={safeText(box.hostname, 1000)}>
        <span className="cell-strong">{safeText(box.hostname, 64)}</span>
        {box.conflict ? (
          <span className="cell-conflict" title={safeText(box.conflict, 500)} data-testid="conflict">
            <StatusWord label={{ word: 'Conflict', tone: 'bad' }} /> {safeText(box.conflict, 60)}
          </span>
        ) : (
          <span className="cell-sub">
            {safeText([box.vendor, box.model].filter(Boolean).join(' '), 48) ||
              (box.serial === null && box.consolePath ? 'Not identified: log in on its console' : 'Model not reported')}
          </span>
        )}
      </span>
      <span role="cell" className="mono" title={safeText(box.serial, 1000)}>
        {safeText(box.serial, 40) || '—'}
      </span>
      <span
        role="cell"
        className="mono"
        title={[...box.addresses, box.consolePath]
          .filter(Boolean)
          .map((a) => safeText(a))
          .join(', ')}
      >
        {safeText(address, 40)}
        {box.addresses.length > 1 ? ` +${box.addresses.length - 1}` : ''}
      </span>
      <span role="cell">
        <StatusWord label={reachLabel(box.reach)} title={box.reach === 'none' ? 'No sighting on the LAN or the cable in the last 10 minutes' : undefined} />
      </span>
      <span role="cell" className="cell-two">
        <StatusWord label={stateLabel(box.state)} />
        <span className="cell-sub mono">{box.k3sVersion ? `k3s ${safeText(box.k3sVersion, 24)}` : 'no k3s'}</span>
      </span>
      <span role="cell">
        <StatusWord label={trustLabel(box.trust)} />
      </span>
      <span role="cell">
        <RelTime iso={box.lastSeen} />
      </span>
      <span role="cell" className="cell-action">
        {action === 'provision' ? (
          <button type="button" className="btn primary" onClick={provision}>
            Provision
          </button>
        ) : (
          <button type="button" className="btn" onClick={open}>
            Open
          </button>
        )}
      </span>
    </div>
  );
});

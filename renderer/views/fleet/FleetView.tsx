import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Icon } from '../../components/Icon.tsx';
import { safeText } from '../../format/text.ts';
import { FLEET_FILTERS, countsSentence, fleetCounts, matchesFilter, matchesQuery, sortFleet, type FleetFilter, type FleetSort } from '../../stores/selectors.ts';
import { appStore, useApp } from '../../stores/index.ts';
import { FleetDialogs } from './FleetDialogs.tsx';
import { FleetTable } from './FleetTable.tsx';

const FILTER_WORDS: Record<FleetFilter, string> = {
  all: 'All',
  attention: 'Needs attention',
  new: 'New',
  provisioned: 'Provisioned',
  cable: 'On a cable',
  unreachable: 'Unreachable',
};

/** Home: the boxes at this site, appearing live as they are found. */
export function FleetView() {
  const boxes = useApp((s) => s.boxes);
  const site = useApp((s) => s.settings?.site ?? '');
  const selected = useApp((s) => s.selected);
  const setSelected = useApp((s) => s.setSelected);
  const navigate = useApp((s) => s.navigate);
  const setDialog = useApp((s) => s.setDialog);
  const client = useApp((s) => s.client);
  const [query, setQuery] = useState('');
  // Listening for boxes that announce themselves (mDNS) starts when the technician opens the Fleet,
  // not with the app; it is passive, never a sweep, and goes on while the app runs.
  useEffect(() => {
    client.call('discovery.start', {}).catch((err: unknown) => appStore.getState().notify(err));
  }, [client]);
  const deferredQuery = useDeferredValue(query);

  const all = useMemo(() => Object.values(boxes), [boxes]);
  const counts = useMemo(() => fleetCounts(all), [all]);
  const [filter, setFilter] = useState<FleetFilter>('all');
  const [sort, setSort] = useState<FleetSort>({ key: 'worst', desc: false });
  const filterCounts = useMemo(() => Object.fromEntries(FLEET_FILTERS.map((f) => [f, all.filter((b) => matchesFilter(b, f)).length])) as Record<FleetFilter, number>, [all]);
  const rows = useMemo(
    () =>
      sortFleet(
        all.filter((b) => matchesFilter(b, filter) && matchesQuery(b, deferredQuery)),
        sort,
      ),
    [all, filter, deferredQuery, sort],
  );

  const actions = (
    <>
      <button type="button" className="btn" onClick={() => setDialog('scan')} title="Scan subnet (Alt+S)">
        <Icon name="scan" /> Scan subnet
      </button>
      <button type="button" className="btn" onClick={() => setDialog('add')} title="Add by address (Alt+A)">
        <Icon name="plus" /> Add by address
      </button>
    </>
  );

  return (
    <div className="view fleet">
      <header className="view-header">
        <div>
          <h1>{site ? safeText(site, 80) : 'This site'}</h1>
          <p className="subtitle" data-testid="fleet-counts">
            {countsSentence(counts)}
            {!site ? (
              <>
                {' · '}
                <button type="button" className="link" onClick={() => navigate({ view: 'settings' })}>
                  Name this site
                </button>
              </>
            ) : null}
          </p>
        </div>
        <div className="header-actions">{actions}</div>
      </header>

      {all.length === 0 ? (
        <EmptyState icon="lan" title="No boxes yet. Connect to the site LAN or plug in a USB-serial cable." actions={actions}>
          <p>Boxes appear here on their own as Fieldlink hears them announce themselves. To look for them now, scan the subnet; if you know a box's address, add it.</p>
        </EmptyState>
      ) : (
        <>
          <div className="toolbar">
            <label className="search">
              <Icon name="search" />
              <input
                id="fleet-search"
                type="search"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                placeholder="Search name, serial, address  ( / )"
                aria-label="Search boxes"
              />
            </label>
            <div className="filter-chips" role="group" aria-label="Show">
              {FLEET_FILTERS.map((f) => (
                <button key={f} type="button" className={`chip${filter === f ? ' active' : ''}`} aria-pressed={filter === f} onClick={() => setFilter(f)}>
                  {FILTER_WORDS[f]} <span className="chip-count">{filterCounts[f]}</span>
                </button>
              ))}
            </div>
            {selected.length > 0 ? (
              <div className="selection-bar" role="status">
                <span>{selected.length} selected</span>
                <button type="button" className="btn primary" onClick={() => navigate({ view: 'provision', ids: selected })}>
                  <Icon name="provision" /> Provision {selected.length === 1 ? '1 box' : `${selected.length} boxes`}
                </button>
                <button type="button" className="btn ghost" onClick={() => setSelected([])}>
                  Clear
                </button>
              </div>
            ) : (
              <span className="muted">Tick boxes to provision several at once.</span>
            )}
          </div>
          {rows.length === 0 ? (
            <EmptyState
              icon="search"
              title={
                deferredQuery
                  ? `No box matches “${safeText(deferredQuery, 60)}”${filter === 'all' ? '' : ` among ${FILTER_WORDS[filter].toLowerCase()}`}.`
                  : `No box is ${FILTER_WORDS[filter].toLowerCase()}.`
              }
            >
              <p>Search looks at the name, serial number, model, address and k3s version.</p>
              <button
                type="button"
                className="btn"
                onClick={() => {
                  setQuery('');
                  setFilter('all');
                }}
              >
                Show all boxes
              </button>
            </EmptyState>
          ) : (
            <FleetTable rows={rows} sort={sort} onSort={setSort} />
          )}
        </>
      )}
      <FleetDialogs />
    </div>
  );
}

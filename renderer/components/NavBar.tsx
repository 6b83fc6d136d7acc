import { STATIC_COMMANDS } from '../commands/commands.ts';
import { appStore, useApp } from '../stores/index.ts';
import type { Route, ViewName } from '../stores/types.ts';
import { Icon, type IconName } from './Icon.tsx';

const ITEMS: { view: ViewName; label: string; icon: IconName; command: string; route: (selected: string[]) => Route }[] = [
  { view: 'fleet', label: 'Fleet', icon: 'fleet', command: 'go-fleet', route: () => ({ view: 'fleet' }) },
  { view: 'provision', label: 'Provision', icon: 'provision', command: 'go-provision', route: (ids) => ({ view: 'provision', ids }) },
  { view: 'logs', label: 'Logs', icon: 'logs', command: 'go-logs', route: () => ({ view: 'logs' }) },
  { view: 'console', label: 'Console', icon: 'console', command: 'go-console', route: () => ({ view: 'console', target: null }) },
  { view: 'settings', label: 'Settings', icon: 'settings', command: 'go-settings', route: () => ({ view: 'settings' }) },
];

const keysOf = (id: string) => STATIC_COMMANDS.find((c) => c.id === id)?.keys ?? '';

export function NavBar() {
  const view = useApp((s) => s.route.view);
  const navigate = useApp((s) => s.navigate);
  const setPaletteOpen = useApp((s) => s.setPaletteOpen);
  const site = useApp((s) => s.settings?.site ?? '');
  // The Box view belongs to the Fleet: keep the Fleet lit while a box is open.
  const current = view === 'box' ? 'fleet' : view;
  return (
    <nav className="navbar" aria-label="Main">
      <div className="brand" title={site ? `Site: ${site}` : 'No site name set'}>
        <span className="brand-mark" aria-hidden="true">
          <Icon name="lan" size={22} />
        </span>
        <span className="brand-name">Fieldlink</span>
      </div>
      {ITEMS.map((it) => (
        <button
          key={it.view}
          type="button"
          className={`nav-item${current === it.view ? ' current' : ''}`}
          aria-current={current === it.view ? 'page' : undefined}
          title={`${it.label} (${keysOf(it.command)})`}
          data-nav={it.view}
          onClick={() => navigate(it.route(appStore.getState().selected))}
        >
          <Icon name={it.icon} />
          <span>{it.label}</span>
        </button>
      ))}
      <div className="nav-spacer" />
      <button type="button" className="nav-item palette-button" onClick={() => setPaletteOpen(true)} title="Command palette (Ctrl+K)">
        <Icon name="keyboard" />
        <span>Commands</span>
        <kbd>Ctrl K</kbd>
      </button>
    </nav>
  );
}

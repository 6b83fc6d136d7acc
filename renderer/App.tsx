import { useEffect } from 'react';
import { shortcutFor, STATIC_COMMANDS, runCommand } from './commands/index.ts';
import { CommandPalette } from './components/CommandPalette.tsx';
import { ErrorNotice } from './components/ErrorNotice.tsx';
import { NavBar } from './components/NavBar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { appStore, useApp } from './stores/index.ts';
import { BoxView } from './views/box/BoxView.tsx';
import { ConsoleView } from './views/console/ConsoleView.tsx';
import { FleetView } from './views/fleet/FleetView.tsx';
import { LogsView } from './views/logs/LogsView.tsx';
import { ProvisionView } from './views/provision/ProvisionView.tsx';
import { SettingsView } from './views/settings/SettingsView.tsx';

export function App() {
  const theme = useApp((s) => s.settings?.theme);
  const loaded = useApp((s) => s.loaded);
  const loadError = useApp((s) => s.loadError);
  const load = useApp((s) => s.load);

  useEffect(() => {
    if (!theme) return;
    document.documentElement.dataset.theme = theme;
    rememberTheme(theme);
  }, [theme]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      // The terminal owns its keys: Ctrl+K there is the shell's, not ours.
      if (t?.closest('.xterm')) return;
      const inField = !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
      const id = shortcutFor({ key: e.key, code: e.code, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, shiftKey: e.shiftKey, inField });
      if (!id) return;
      e.preventDefault();
      if (id === 'palette') {
        const s = appStore.getState();
        s.setPaletteOpen(!s.paletteOpen);
        return;
      }
      const cmd = STATIC_COMMANDS.find((c) => c.id === id);
      if (cmd) runCommand(cmd.action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="shell">
      <NavBar />
      <main className="main" id="main">
        {!loaded ? (
          <p className="loading">Connecting to the Fieldlink core…</p>
        ) : loadError ? (
          <div className="view">
            <ErrorNotice error={loadError}>
              <button type="button" className="btn primary" onClick={() => void load()}>
                Try again
              </button>
            </ErrorNotice>
          </div>
        ) : (
          <CurrentView />
        )}
        <Notices />
      </main>
      <StatusBar />
      <CommandPalette />
    </div>
  );
}

const THEME_KEY = 'fieldlink.theme';

/** The core's setting is the truth; this copy only paints the first frame right, before it answers. */
function rememberTheme(theme: string): void {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage off: the first frame is light until the settings arrive; nothing else depends on it.
  }
}

export function paintRememberedTheme(): void {
  try {
    const t = localStorage.getItem(THEME_KEY);
    if (t === 'light' || t === 'dark' || t === 'contrast') document.documentElement.dataset.theme = t;
  } catch {
    // See rememberTheme.
  }
}

function CurrentView() {
  const route = useApp((s) => s.route);
  switch (route.view) {
    case 'fleet':
      return <FleetView />;
    case 'box':
      return <BoxView id={route.id} tab={route.tab} />;
    case 'provision':
      return <ProvisionView ids={route.ids} />;
    case 'logs':
      return <LogsView />;
    case 'console':
      return <ConsoleView target={route.target} />;
    case 'settings':
      return <SettingsView />;
  }
}

function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <ErrorNotice key={n.id} error={n.error} onDismiss={() => dismiss(n.id)} />
      ))}
    </div>
  );
}

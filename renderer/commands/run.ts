import { appStore } from '../stores/index.ts';
import type { CommandAction } from './commands.ts';

/** Carries out a palette entry or shortcut against the app's store. */
export function runCommand(action: CommandAction): void {
  const s = appStore.getState();
  switch (action.kind) {
    case 'navigate':
      if (action.route.view === 'provision' && action.route.ids.length === 0) s.navigate({ view: 'provision', ids: s.selected });
      else s.navigate(action.route);
      return;
    case 'theme':
      s.setPaletteOpen(false);
      s.saveSettings({ theme: action.theme }).catch((err: unknown) => appStore.getState().notify(err));
      return;
    case 'scan':
      s.navigate({ view: 'fleet' });
      s.setDialog('scan');
      return;
    case 'add':
      s.navigate({ view: 'fleet' });
      s.setDialog('add');
      return;
    case 'focus-search':
      s.navigate({ view: 'fleet' });
      // The Fleet may be mounting right now; focus once it has painted.
      requestAnimationFrame(() => document.getElementById('fleet-search')?.focus());
      return;
  }
}

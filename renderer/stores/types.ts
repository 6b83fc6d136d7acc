import type { FieldlinkClient } from '../../shared/api.ts';
import type { AppInfo, Box, ConsoleSession, Job, Settings, Status } from '../../shared/model.ts';
import type { Explained } from '../errors.ts';

export type BoxTab = 'health' | 'console' | 'logs' | 'config' | 'history';
export type Route =
  | { view: 'fleet' }
  | { view: 'box'; id: string; tab: BoxTab }
  | { view: 'provision'; ids: string[] }
  | { view: 'logs' }
  | { view: 'console'; target: string | null }
  | { view: 'settings' };
export type ViewName = Route['view'];

export interface CoreSlice {
  info: AppInfo | null;
  /** Set when the first load from the core failed: the whole window shows it. */
  loadError: Explained | null;
  loaded: boolean;
  load(): Promise<void>;
}

export interface BoxesSlice {
  boxes: Record<string, Box>;
  selected: string[];
  upsertBoxes(list: Box[]): void;
  /** A box merged into another in the core: gone from the view and from the selection. */
  removeBox(id: string): void;
  toggleSelected(id: string): void;
  setSelected(ids: string[]): void;
}

export interface StatusSlice {
  status: Status | null;
  jobs: Record<string, Job>;
  setStatus(s: Status): void;
  upsertJobs(list: Job[]): void;
  cancelJob(id: string): Promise<void>;
}

export interface SettingsSlice {
  settings: Settings | null;
  setSettings(s: Settings): void;
  /** Saves through settings.set; resolves with the stored settings, rejects with FieldlinkError. */
  saveSettings(patch: Partial<Settings>): Promise<Settings>;
}

export type DialogName = 'scan' | 'add';
export interface NavSlice {
  route: Route;
  paletteOpen: boolean;
  dialog: DialogName | null;
  navigate(route: Route): void;
  setPaletteOpen(open: boolean): void;
  setDialog(dialog: DialogName | null): void;
}

export interface Notice {
  id: number;
  error: Explained;
}
export interface NoticesSlice {
  notices: Notice[];
  notify(err: unknown): void;
  dismiss(id: number): void;
}

export interface ConsoleSlice {
  sessions: Record<string, ConsoleSession>;
  setSession(s: ConsoleSession): void;
  dropSession(id: string): void;
}

export type AppState = CoreSlice & BoxesSlice & StatusSlice & SettingsSlice & NavSlice & NoticesSlice & ConsoleSlice & { client: FieldlinkClient };

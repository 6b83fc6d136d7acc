import os from 'node:os';
import path from 'node:path';

/**
 * Where Fieldlink keeps its database, keys and collected logs when nobody says otherwise.
 * `--data-dir` beats FIELDLINK_DATA_DIR beats the per-OS default.
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (explicit) return path.resolve(explicit);
  if (env.FIELDLINK_DATA_DIR) return path.resolve(env.FIELDLINK_DATA_DIR);
  const home = os.homedir();
  switch (platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Fieldlink');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Fieldlink');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'fieldlink');
  }
}

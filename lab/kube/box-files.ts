import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { readServerJson, type ServerJson } from './box-config.ts';

/**
 * Where the hub reads and writes inside one box folder (`<state>/boxes/<name>/`). The box sees
 * `k3s/` as /run/lab/k3s, `etc/` as /etc and `var/` as /var, so the files are the ones k3s and its
 * installer use on a real box: the unit and its env file, config.yaml, the token, the kubeconfig.
 */
export const boxPaths = (boxDir: string) => ({
  serverJson: path.join(boxDir, 'k3s', 'server.json'),
  socket: path.join(boxDir, 'k3s', 'api.sock'),
  tls: path.join(boxDir, 'k3s', 'tls'),
  status: path.join(boxDir, 'k3s', 'hub-status.json'),
  bootId: path.join(boxDir, 'run', 'lab', 'boot-id'),
  kubeconfig: path.join(boxDir, 'etc', 'rancher', 'k3s', 'k3s.yaml'),
  config: path.join(boxDir, 'etc', 'rancher', 'k3s', 'config.yaml'),
  unit: (unit: string) => path.join(boxDir, 'etc', 'systemd', 'system', `${unit}.service`),
  unitEnv: (unit: string) => path.join(boxDir, 'etc', 'systemd', 'system', `${unit}.service.env`),
  token: path.join(boxDir, 'var', 'lib', 'rancher', 'k3s', 'server', 'token'),
  nodeToken: path.join(boxDir, 'var', 'lib', 'rancher', 'k3s', 'server', 'node-token'),
});

const MAX_FILE = 256 * 1024;

async function readSmall(file: string): Promise<string | null> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > MAX_FILE) return null;
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** systemd EnvironmentFile syntax as the k3s installer writes it: KEY='value' or KEY=value. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    // The installer's quote() writes a ' inside a value as '\'' (close, escaped quote, reopen).
    if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replaceAll("'\\''", "'");
    else if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    env[m[1]!] = v;
  }
  return env;
}

/** The words after `k3s server|agent` on the unit's ExecStart, joined across `\` continuations. */
export function parseExecStart(unitText: string): string[] {
  const joined = unitText.replace(/\\\n/g, ' ');
  const m = /^ExecStart=\S*k3s\s+(server|agent)\b(.*)$/m.exec(joined);
  if (!m) return [];
  return [...m[2]!.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((x) => x[1] ?? x[2] ?? x[3]!);
}

/** config.yaml keys as flags (`disable: [traefik]` → `--disable=traefik`), as k3s merges them. */
export function configYamlArgs(text: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object') return [];
  const args: string[] = [];
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const vals = Array.isArray(v) ? v : [v];
    for (const x of vals) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') args.push(`--${k}=${String(x)}`);
  }
  return args;
}

export interface BoxSetup {
  spec: ServerJson;
  /** Flags from config.yaml then the unit's ExecStart (the command line wins, as in k3s). */
  args: string[];
  env: Record<string, string>;
  kubeconfigMode: number;
}

export async function readBoxSetup(boxDir: string): Promise<BoxSetup> {
  const p = boxPaths(boxDir);
  const spec = await readServerJson(p.serverJson);
  const unit = spec.role === 'agent' ? 'k3s-agent' : 'k3s';
  const [unitText, envText, cfgText] = await Promise.all([readSmall(p.unit(unit)), readSmall(p.unitEnv(unit)), readSmall(p.config)]);
  const args = [...(cfgText ? configYamlArgs(cfgText) : []), ...(unitText ? parseExecStart(unitText) : []), ...spec.args];
  const env = envText ? parseEnvFile(envText) : {};
  let kubeconfigMode = 0o600;
  for (const a of args) {
    const m = /^--write-kubeconfig-mode=?(\d{3,4})$/.exec(a);
    if (m) kubeconfigMode = parseInt(m[1]!, 8) & 0o777;
  }
  return { spec, args, env, kubeconfigMode };
}

/**
 * The server's join token, created on first start as k3s does: K10<sha256 of the CA>::server:<secret>,
 * or the K3S_TOKEN / --token the installer was given.
 */
export async function ensureServerToken(boxDir: string, serverCa: string, given: string | undefined): Promise<string> {
  const p = boxPaths(boxDir);
  const existing = (await readSmall(p.token))?.trim();
  if (existing) return existing;
  const caHash = createHash('sha256').update(serverCa).digest('hex');
  const secret = given && given.length > 0 ? given : randomBytes(16).toString('hex');
  const token = secret.startsWith('K10') ? secret : `K10${caHash}::server:${secret}`;
  await fs.mkdir(path.dirname(p.token), { recursive: true, mode: 0o700 });
  await fs.writeFile(p.token, `${token}\n`, { mode: 0o600 });
  await fs.writeFile(p.nodeToken, `${token}\n`, { mode: 0o600 });
  return token;
}

/** k3s accepts the full token or only its secret part. */
export function tokenMatches(serverToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  if (presented === serverToken) return true;
  const secret = /::server:(.+)$/.exec(serverToken)?.[1];
  return secret !== undefined && (presented === secret || /::server:(.+)$/.exec(presented)?.[1] === secret);
}

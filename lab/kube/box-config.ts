import fs from 'node:fs/promises';
import { z } from 'zod';
import { FieldlinkError } from '../../shared/errors.ts';

export const SCENARIOS = ['healthy', 'crashloop', 'oom', 'imagepull', 'diskpressure', 'mixed', 'pods-500', 'pods-5000'] as const;
export type Scenario = (typeof SCENARIOS)[number];

const MAX_SERVER_JSON = 64 * 1024;

/**
 * `<state>/boxes/<name>/k3s/server.json`: written by the lab (or by install.sh through the
 * box's view of that folder) when k3s starts on a box, removed when it stops.
 */
export const ServerJson = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/),
  hostname: z
    .string()
    .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/)
    .max(253),
  ip: z.ipv4(),
  arch: z.enum(['amd64', 'arm64']),
  scenario: z.enum(SCENARIOS).default('healthy'),
  role: z.enum(['server', 'agent']).default('server'),
  k3sVersion: z
    .string()
    .regex(/^v\d+\.\d+\.\d+(\+k3s\d+)?$/)
    .default('v1.31.4+k3s1'),
  /** The k3s command line after `server`/`agent` (INSTALL_K3S_EXEC and config flags). */
  args: z.array(z.string().max(1024)).max(256).default([]),
  /** Agents: the server they join (K3S_URL) and the token they present (K3S_TOKEN). */
  serverUrl: z.string().max(512).optional(),
  token: z.string().max(512).optional(),
  /** Scenario clock speed: 10 makes a 10 s back-off take 1 s. */
  timeScale: z.number().positive().max(10_000).optional(),
});
export type ServerJson = z.infer<typeof ServerJson>;

export async function readServerJson(file: string): Promise<ServerJson> {
  let text: string;
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_SERVER_JSON + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_SERVER_JSON) throw new FieldlinkError('BAD_REQUEST', `${file} is larger than ${MAX_SERVER_JSON} bytes.`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof FieldlinkError) throw err;
    throw new FieldlinkError('NOT_FOUND', `Cannot read ${file}.`, { file }, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FieldlinkError('BAD_REQUEST', `${file} is not JSON; rewrite it with the fields name, hostname, ip, arch, scenario, role.`, { file }, { cause: err });
  }
  const parsed = ServerJson.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new FieldlinkError('BAD_REQUEST', `${file}: ${first ? `${first.path.join('.') || 'input'}: ${first.message}` : 'invalid'}.`, { file });
  }
  return parsed.data;
}

/** What the k3s command-line flags change about the cluster the lab serves. */
export interface K3sFlags {
  disable: Set<string>;
  nodeLabels: Record<string, string>;
  nodeTaints: { key: string; value?: string; effect: string }[];
  nodeName?: string;
  token?: string;
  server?: string;
}

/** Reads `--flag value` and `--flag=value` forms, as k3s (urfave/cli) does; unknown flags are ignored. */
export function parseK3sArgs(args: readonly string[]): K3sFlags {
  const flags: K3sFlags = { disable: new Set(), nodeLabels: {}, nodeTaints: [] };
  const words = args.flatMap((a) => a.split(/\s+/)).filter((w) => w.length > 0);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(w);
    if (!m) continue;
    const name = m[1]!;
    const takesValue = ['disable', 'node-label', 'node-taint', 'node-name', 'token', 'server', 't', 's'].includes(name);
    let value = m[2];
    if (takesValue && value === undefined) value = words[++i];
    if (value === undefined) continue;
    switch (name) {
      case 'disable':
        for (const d of value.split(',')) if (d) flags.disable.add(d.trim());
        break;
      case 'node-label': {
        const [k, v = ''] = value.split('=', 2);
        if (k) flags.nodeLabels[k] = v;
        break;
      }
      case 'node-taint': {
        const t = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(value);
        if (t) flags.nodeTaints.push({ key: t[1]!, ...(t[2] ? { value: t[2] } : {}), effect: t[3]! });
        break;
      }
      case 'node-name':
        flags.nodeName = value;
        break;
      case 'token':
      case 't':
        flags.token = value;
        break;
      case 'server':
      case 's':
        flags.server = value;
        break;
    }
  }
  return flags;
}

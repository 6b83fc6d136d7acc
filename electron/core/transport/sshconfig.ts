import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { matchPatternList } from './patterns.ts';

/** What ~/.ssh/config says about one host alias, as `ssh -G` would print it (tokens in IdentityFile unexpanded). */
export interface SshConfigHost {
  /** The alias as typed. */
  alias: string;
  hostName: string;
  port: number | null;
  user: string | null;
  /** IdentityFile values in order, as written (ssh -G prints them this way). */
  identityFiles: string[];
  /** ProxyJump hops in order; empty for none. */
  proxyJump: JumpHop[];
  /** The ProxyJump value as written, or null. */
  proxyJumpRaw: string | null;
}

export interface JumpHop {
  user: string | null;
  host: string;
  port: number | null;
}

interface Block {
  /** null: applies to every host (lines before the first Host, or `Match all`); false: a Match we cannot evaluate. */
  patterns: string[] | null | false;
  options: Array<[string, string]>;
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_CONFIG_BYTES = 1024 * 1024;

/** OpenSSH's argument splitting: whitespace or one '=', double quotes group words. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]!);
  return out;
}

function parseLines(text: string, file: string, home: string, depth: number, blocks: Block[]): void {
  if (text.length > MAX_CONFIG_BYTES) throw new FieldlinkError('BAD_REQUEST', `${file} is larger than 1 MiB; that is not an SSH config Fieldlink will read.`);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'host') {
      blocks.push({ patterns: splitArgs(value), options: [] });
    } else if (key === 'match') {
      blocks.push({ patterns: value.trim().toLowerCase() === 'all' ? null : false, options: [] });
    } else if (key === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) throw new FieldlinkError('BAD_REQUEST', `${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep.`);
      // Include inside a Host block only applies to that block; keep the block open for its lines.
      const current = blocks[blocks.length - 1]!;
      for (const pattern of splitArgs(value)) {
        for (const f of expandInclude(pattern, home)) {
          const sub: Block[] = [{ patterns: current.patterns, options: [] }];
          parseLines(readConfig(f), f, home, depth + 1, sub);
          blocks.push(...sub.map((b, i) => (i === 0 ? b : { ...b, patterns: current.patterns === false ? false : b.patterns })));
          blocks.push({ patterns: current.patterns, options: [] });
        }
      }
    } else {
      blocks[blocks.length - 1]!.options.push([key, value]);
    }
  }
}

function readConfig(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new FieldlinkError('STORAGE', `Cannot read ${file}.`, undefined, { cause: err });
  }
}

/** Include paths: ~ expanded, relative ones under ~/.ssh, a wildcard allowed in the last component. */
function expandInclude(pattern: string, home: string): string[] {
  let p = pattern.startsWith('~/') ? path.join(home, pattern.slice(2)) : pattern;
  if (!path.isAbsolute(p)) p = path.join(home, '.ssh', p);
  const dir = path.dirname(p);
  const base = path.basename(p);
  if (!/[*?]/.test(base)) return [p];
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => matchPatternList([base], f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function parseJumpSpec(spec: string): JumpHop[] {
  if (spec.toLowerCase() === 'none') return [];
  return spec.split(',').map((hop) => {
    const s = hop.replace(/^ssh:\/\//, '');
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(s);
    if (!m) throw new FieldlinkError('BAD_REQUEST', `"${hop}" is not a ProxyJump hop ([user@]host[:port]).`);
    return { user: m[1] ?? null, host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : null };
  });
}

/**
 * Resolves one alias against an ssh_config text the way OpenSSH does: blocks in file order, the
 * first value obtained for each option wins, IdentityFile accumulates. Match blocks other than
 * `Match all` are not evaluated (skipped), which `ssh -G` may differ on.
 */
export function resolveSshConfig(text: string, alias: string, opts: { home?: string; file?: string } = {}): SshConfigHost {
  const home = opts.home ?? os.homedir();
  const blocks: Block[] = [{ patterns: null, options: [] }];
  parseLines(text, opts.file ?? 'ssh config', home, 0, blocks);
  const got = new Map<string, string>();
  const identityFiles: string[] = [];
  for (const b of blocks) {
    if (b.patterns === false) continue;
    if (b.patterns !== null && !matchPatternList(b.patterns, alias)) continue;
    for (const [k, v] of b.options) {
      if (k === 'identityfile') {
        const f = splitArgs(v)[0];
        if (f && !identityFiles.includes(f)) identityFiles.push(f);
      } else if (!got.has(k)) {
        got.set(k, v);
      }
    }
  }
  const hostNameRaw = got.get('hostname');
  const hostName = hostNameRaw ? hostNameRaw.replace(/%(.)/g, (_m, c: string) => (c === 'h' ? alias : c === '%' ? '%' : `%${c}`)) : alias;
  const portRaw = got.get('port');
  let port: number | null = null;
  if (portRaw !== undefined) {
    port = Number(portRaw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FieldlinkError('BAD_REQUEST', `${opts.file ?? 'ssh config'}: "Port ${portRaw}" is not a port number.`);
  }
  const pj = got.get('proxyjump') ?? null;
  return {
    alias,
    hostName,
    port,
    user: got.get('user') ?? null,
    identityFiles,
    proxyJump: pj ? parseJumpSpec(pj) : [],
    proxyJumpRaw: pj,
  };
}

/** Reads ~/.ssh/config (or `file`) and resolves the alias; a missing file means no settings. */
export function loadSshConfig(alias: string, opts: { file?: string; home?: string } = {}): SshConfigHost {
  const home = opts.home ?? os.homedir();
  const file = opts.file ?? path.join(home, '.ssh', 'config');
  return resolveSshConfig(readConfig(file), alias, { home, file });
}

/** OpenSSH's IdentityFile tokens: ~, %d (home), %u (local user), %h (host), %r (remote user), %p, %%. */
export function expandIdentityFile(f: string, ctx: { home?: string; localUser?: string; host: string; user: string; port: number }): string {
  const home = ctx.home ?? os.homedir();
  const localUser = ctx.localUser ?? os.userInfo().username;
  let s = f.startsWith('~/') ? path.join(home, f.slice(2)) : f === '~' ? home : f;
  s = s.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case 'd':
        return home;
      case 'u':
        return localUser;
      case 'h':
        return ctx.host;
      case 'r':
        return ctx.user;
      case 'p':
        return String(ctx.port);
      case '%':
        return '%';
      default:
        return `%${c}`;
    }
  });
  return s;
}

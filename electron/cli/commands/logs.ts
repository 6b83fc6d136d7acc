import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import type { App } from '../../core/app.ts';
import {
  collectTarget,
  parseSource,
  SegmentStore,
  sizeText,
  summaryLine,
  type SegmentProblem,
  type SegmentRow,
  type SourceSpec,
  type TargetCollection,
} from '../../core/logs/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';
import { syncOutbox, type SyncReport } from '../../core/sync/index.ts';
import { podLogCommand, podLogOptionSpecs } from './pod-logs.ts';
import { table } from '../output.ts';

/**
 * `fieldlink logs collect TARGET…`, `fieldlink logs list`, `fieldlink logs sync` (the outbox to the
 * collector), `fieldlink logs pod TARGET NS/POD` (a pod's log through the box's API). Each subcommand
 * is one entry of SUBCOMMANDS.
 */
const USAGE = 'collect TARGET… [--since TIME] [--sources LIST] | list | sync [--collector URL] | pod TARGET NS/POD [-f] [--previous]';

type Sub = (ctx: CommandContext, args: string[]) => Promise<number>;

const SUBCOMMANDS: Record<string, Sub> = {
  collect: collectCommand,
  list: listCommand,
  sync: syncCommand,
  pod: podLogCommand,
};

export const logs: Command = {
  name: 'logs',
  usage: USAGE,
  summary: 'collect logs from boxes (redacted, kept on this laptop) and list what was collected',
  options: {
    ...connectOptionSpecs,
    ...podLogOptionSpecs,
    since: { type: 'string', description: 'first collection of the journal only: start here (journalctl --since, e.g. "2026-12-01 08:00" or "-2h")' },
    sources: { type: 'string', description: 'comma-separated: journald, journald:UNIT, dmesg, /var/log/FILE (default: journald, dmesg, the usual /var/log and k3s files)' },
    'max-bytes': { type: 'string', description: 'most raw bytes per source in one run, e.g. 256M (default); collect again for the rest' },
    box: { type: 'string', description: 'list: only this box id' },
    collector: { type: 'string', description: "sync: the collector's URL (default: Settings); the token comes from FIELDLINK_COLLECTOR_TOKEN or the keychain" },
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const fn = sub ? SUBCOMMANDS[sub] : undefined;
    if (!fn) throw new FieldlinkError('BAD_REQUEST', `Usage: fieldlink logs ${USAGE}`);
    return fn(ctx, rest);
  },
};

/** The store on the app's database and data folder, recovered (temp files, damaged segments) on open. */
async function openStore(app: App): Promise<{ store: SegmentStore; problems: SegmentProblem[] }> {
  const store = new SegmentStore({ dataDir: app.dataDir, db: app.db, quotaBytes: () => app.settings.get().quotaBytes, log: app.log });
  const r = await store.recover();
  return { store, problems: r.problems };
}

function parseBytes(text: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text.trim());
  if (!m) throw new FieldlinkError('BAD_REQUEST', `--max-bytes must be a size like 64M or 1G, not "${text}".`);
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  return Number(m[1]) * ({ K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[unit] ?? 1);
}

async function collectCommand(ctx: CommandContext, targets: string[]): Promise<number> {
  if (targets.length === 0) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink logs collect TARGET… [--since TIME] [--sources LIST]');
  const sources: SourceSpec[] | undefined = typeof ctx.options.sources === 'string' ? ctx.options.sources.split(',').map((s) => parseSource(s.trim())) : undefined;
  const maxBytes = typeof ctx.options['max-bytes'] === 'string' ? parseBytes(ctx.options['max-bytes']) : undefined;
  const since = typeof ctx.options.since === 'string' ? ctx.options.since : undefined;
  const app = ctx.app();
  const { store } = await openStore(app);
  const opts = await connectOptions(ctx);
  const outcomes: TargetCollection[] = [];
  for (const target of targets) {
    const o = await collectTarget({ connections: app.connections, audit: app.audit, store }, target, {
      connect: opts,
      sources,
      since,
      maxBytesPerSource: maxBytes,
      signal: ctx.signal,
      onStage: (m) => ctx.out.progress(m),
      onProgress: (p) => p.lines > 0 && ctx.out.progress(`${target}: ${p.source}: ${p.lines} lines, ${sizeText(p.rawBytes)}, ${p.segments} segments`),
    });
    outcomes.push(o);
    if (o.error?.code === 'STORAGE' || o.error?.code === 'ABORTED') break;
  }
  ctx.out.result({ boxes: outcomes, usage: store.usage() }, () => renderCollect(outcomes, store));
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

const redactionText = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

function renderCollect(outcomes: TargetCollection[], store: SegmentStore): string {
  const out: string[] = [];
  for (const o of outcomes) {
    if (!o.ok || !o.collection) {
      out.push(`${safeText(o.target)}: FAILED: ${safeText(o.error?.message, 400)}`, '');
      continue;
    }
    const c = o.collection;
    out.push(`${safeText(o.target)} (box ${safeText(c.boxId)}): ${summaryLine(c)}`);
    out.push(`  redactions: ${redactionText(c.redactions)}`);
    for (const s of c.sources)
      out.push(
        `  ${safeText(s.source)}: ${s.lines} lines in ${s.segments.length} segments${s.more ? ' (more on the box: collect again)' : ''}${s.note ? ` (${safeText(s.note)})` : ''}`,
      );
    for (const f of c.failed) out.push(`  ${safeText(f.source)}: FAILED: ${safeText(f.message, 300)}`);
    out.push('');
  }
  const u = store.usage();
  out.push(`Store: ${u.segments} segments, ${sizeText(u.bytes)} of ${sizeText(u.quotaBytes)} quota; ${u.waitingSegments} waiting for the collector.`);
  return out.join('\n');
}

async function listCommand(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink logs list [--box ID] [--json]');
  const { store, problems } = await openStore(ctx.app());
  const boxId = typeof ctx.options.box === 'string' ? ctx.options.box : undefined;
  const segments = store.list({ boxId });
  ctx.out.result({ segments, usage: store.usage(), problems }, () => renderList(segments, problems, store));
  return 0;
}

/** Sends every waiting segment to the collector, once; exit 1 when some stay waiting or were refused. */
async function syncCommand(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink logs sync [--collector URL] [--json]');
  const app = ctx.app();
  const collector = typeof ctx.options.collector === 'string' ? ctx.options.collector : app.settings.get().collectorUrl;
  if (!collector) throw new FieldlinkError('BAD_REQUEST', 'No collector is set: pass --collector URL, or set it in Settings.');
  if (!/^https?:\/\//.test(collector)) throw new FieldlinkError('BAD_REQUEST', `--collector must be an http(s) URL, not "${safeText(collector, 80)}".`);
  const token = process.env.FIELDLINK_COLLECTOR_TOKEN || app.secrets.get('collector-token');
  if (!token) throw new FieldlinkError('AUTH_FAILED', 'No collector token: set FIELDLINK_COLLECTOR_TOKEN, or enter it in Settings.');
  const { store } = await openStore(app);
  let shown = '';
  const report = await syncOutbox(store, {
    collector: collector.replace(/\/+$/, ''),
    token,
    signal: ctx.signal,
    onProgress: (p) => {
      const pct = p.totalBytes ? Math.floor((100 * p.sentBytes) / p.totalBytes) : 100;
      if (`${p.done}:${pct}` === shown) return;
      shown = `${p.done}:${pct}`;
      ctx.out.progress(`sync: ${p.done} of ${p.segments} segments, ${sizeText(p.sentBytes)} of ${sizeText(p.totalBytes)} (${pct} %)`);
    },
  });
  ctx.out.result(report, () => renderSync(report));
  return report.stoppedBy || report.refused.length ? 1 : 0;
}

function renderSync(r: SyncReport): string {
  const out = [`Sent ${r.uploaded} segments (${sizeText(r.bytes)}); ${r.duplicates} the collector already had; ${r.waiting} still waiting.`];
  for (const x of r.refused) out.push(`Refused ${x.hash.slice(0, 12)}: ${x.message}`);
  if (r.stoppedBy) out.push(`Stopped: ${r.stoppedBy.message}`);
  return out.join('\n');
}

function renderList(segments: SegmentRow[], problems: SegmentProblem[], store: SegmentStore): string {
  const u = store.usage();
  const out = [
    table(
      ['BOX', 'SOURCE', 'FROM', 'TO', 'LINES', 'SIZE', 'REDACTED', 'STATE', 'SEGMENT'],
      segments.map((s) => [
        s.boxId,
        s.source,
        s.timeFrom,
        s.timeTo,
        String(s.lines),
        sizeText(s.bytes),
        String(Object.values(s.redactions).reduce((a, b) => a + b, 0)),
        s.problem ? `DAMAGED (${s.problem})` : s.syncState,
        s.hash.slice(0, 12),
      ]),
    ),
    '',
    `${u.segments} segments, ${sizeText(u.bytes)} stored (${sizeText(u.rawBytes)} of text) of a ${sizeText(u.quotaBytes)} quota; ${u.waitingSegments} (${sizeText(u.waitingBytes)}) waiting for the collector.`,
  ];
  if (problems.length) out.push(`${problems.length} segments are damaged on disk (missing or wrong size); they are kept in the list and not uploaded.`);
  return out.join('\n');
}

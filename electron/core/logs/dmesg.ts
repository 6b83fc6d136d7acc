import { readLines, remoteFailed } from './remote.ts';
import { runSource, type SourceContext, type SourceResult } from './source.ts';

/**
 * The kernel ring buffer (`dmesg`), which has no cursor of its own: the cursor is the boot id and
 * the last timestamp collected ({"b": boot_id, "t": seconds since boot}). A new boot starts over.
 * Times become wall-clock times through the boot time (`btime` in /proc/stat). The ring buffer is
 * small (the kernel bounds it), and the box cuts what it sends at 16 MiB anyway.
 */
interface DmesgCursor {
  b: string;
  t: number;
}

const STAMP = /^\[\s*(\d+\.\d+)\]/;

const parseCursor = (c: string | null): DmesgCursor | null => {
  try {
    const v = c ? (JSON.parse(c) as DmesgCursor) : null;
    return v && typeof v.b === 'string' && Number.isFinite(v.t) ? v : null;
  } catch {
    return null;
  }
};

export function collectDmesg(ctx: SourceContext): Promise<SourceResult> {
  return runSource(ctx, 'dmesg', async (sink, start, progress) => {
    const cmd = `{ echo "FLBOOT $(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(awk '/^btime/{print $2}' /proc/stat 2>/dev/null)"; } >&2; dmesg 2>&1 | tail -c ${16 << 20}`;
    const r = await readLines(ctx.shell, cmd, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    const head = /FLBOOT (\S*) (\d*)/.exec(r.stderr);
    if (!head) throw remoteFailed('dmesg', ctx.shell.target, r.stderr);
    if (r.lines.length === 1 && /not found|Operation not permitted/.test(r.lines[0]!.text)) return { more: false, note: 'dmesg is not readable on this box' };
    const boot = head[1] || 'unknown';
    const btime = Number(head[2]) || undefined;
    const prev = parseCursor(start);
    const after = prev && prev.b === boot ? prev.t : -1;
    let t = after;
    let last = after;
    for (const l of r.lines) {
      const m = STAMP.exec(l.text);
      // Lines without a stamp continue the one before.
      if (m) t = Number(m[1]);
      if (after >= 0 && t <= after) continue;
      last = t;
      await sink.line(l.text, JSON.stringify({ b: boot, t }), btime !== undefined ? (btime + t) * 1000 : undefined);
    }
    progress();
    return { cursor: JSON.stringify({ b: boot, t: Math.max(last, after) }), more: false };
  });
}

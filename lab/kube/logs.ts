import { hash32 } from './random.ts';
import type { Behaviour } from './scenario.ts';

/**
 * Container logs computed, not stored: line k of an instance is written at start + k * period, and
 * its text is a function of (seed, k). 5000 pods cost no memory for logs, and tailLines or sinceTime
 * are arithmetic. An instance that ends gets the lines its end explains (a panic, an OOM).
 */

export interface LogInstance {
  seed: string;
  behaviour: Behaviour;
  image: string;
  startedAt: number;
  /** Undefined while the container runs. */
  endedAt?: number;
  endReason?: string;
  periodMs: number;
}

export interface LogLine {
  at: number;
  text: string;
}

/** No single log response is unbounded, whatever the client asks. */
export const MAX_LOG_LINES = 50_000;

const PATHS = ['/healthz', '/api/v1/readings', '/api/v1/status', '/metrics', '/api/v1/config'];
const TOPICS = ['site/temp', 'site/door', 'site/power', 'line/3/vibration', 'line/1/count'];

function body(inst: LogInstance, k: number): string {
  const h = hash32(`${inst.seed}:${k}`);
  if (k === 0) return `level=info msg="starting" image=${inst.image} pid=1`;
  if (k === 1) return 'level=info msg="configuration loaded" source=/etc/app/config.yaml';
  if (inst.behaviour === 'job') return `level=info msg="copied chunk" n=${k} bytes=${(h % 900_000) + 100_000}`;
  switch (h % 6) {
    case 0:
      return `level=debug msg="tick" goroutines=${12 + (h % 40)}`;
    case 1:
      return `level=info msg="published" topic=${TOPICS[h % TOPICS.length]} qos=1 bytes=${h % 2048}`;
    case 2:
      return `level=warn msg="slow upstream" upstream=10.43.${h % 255}.${(h >>> 8) % 255}:8080 latency_ms=${200 + (h % 1800)}`;
    default:
      return `level=info msg="request" method=GET path=${PATHS[h % PATHS.length]} status=200 duration_ms=${(h % 97) + 1}`;
  }
}

function ending(inst: LogInstance): string[] {
  if (inst.endReason === 'OOMKilled') {
    return ['level=info msg="loading model" name=yolo-v8n size_mib=180', 'level=info msg="allocating frame buffers" count=32 size_mib=96'];
  }
  if (inst.endReason === 'Error') {
    return [
      'level=error msg="cannot reach sensor bus" url=tcp://sensor-bus.edge.svc:1883 err="dial tcp 10.43.88.12:1883: connect: connection refused"',
      'panic: sensor bus unreachable after 3 attempts',
      '',
      'goroutine 1 [running]:',
      'main.main()',
      '\t/src/cmd/gateway/main.go:88 +0x1a5',
    ];
  }
  if (inst.endReason === 'Completed') return ['level=info msg="done" status=ok'];
  return [];
}

/** The lines of one instance whose time is in [from, to]; at most `max`, the latest ones. */
export function instanceLines(inst: LogInstance, from: number, to: number, max = MAX_LOG_LINES): LogLine[] {
  const stop = Math.min(to, inst.endedAt ?? to);
  const tail = inst.endedAt !== undefined && inst.endedAt <= to && inst.endedAt >= from ? ending(inst) : [];
  const first = Math.max(0, Math.ceil((from - inst.startedAt) / inst.periodMs));
  // The last regular line is strictly before the end, so an ending is always the last thing written.
  let last = Math.floor((stop - inst.startedAt) / inst.periodMs);
  if (inst.endedAt !== undefined && inst.startedAt + last * inst.periodMs >= inst.endedAt) last -= 1;
  const lines: LogLine[] = [];
  const budget = Math.max(0, max - tail.length);
  const begin = Math.max(first, last - budget + 1);
  for (let k = begin; k <= last; k++) lines.push({ at: inst.startedAt + k * inst.periodMs, text: body(inst, k) });
  for (const t of tail.slice(Math.max(0, tail.length - max))) lines.push({ at: inst.endedAt!, text: t });
  return lines;
}

/** RFC 3339 with nanoseconds, as kubelet prefixes lines for `--timestamps`. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

import { execFile, execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LabStatus } from '../lab/index.ts';

/** One measured figure: ours or the anchor's (the tool a technician would use instead). */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** 'ours' or 'anchor'; other rows are context (sizes, counts). */
  side?: 'ours' | 'anchor';
}

export interface BenchResult {
  figures: Figure[];
  /** The command line of the anchor tool as it was run, for people to repeat it. */
  anchor: string;
  /** ours / anchor (or the figure the issue names), with the goal and which way is better. */
  ratio: { value: number; goal: number; better: 'lower' | 'higher'; meaning: string };
  notes?: string[];
}

export interface Benchmark {
  name: string;
  description: string;
  /** What must be true to run (e.g. root, the lab up); a string says why it cannot run. */
  requires?: () => Promise<string | null>;
  run(progress: (msg: string) => void): Promise<BenchResult>;
}

export function machineInfo() {
  return {
    host: os.hostname(),
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    kernel: os.release(),
  };
}

export function passes(r: BenchResult['ratio']): boolean {
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return false;
  return r.better === 'lower' ? r.value <= r.goal : r.value >= r.goal;
}

/** Prints the result as a table a person can read, and writes it as JSON under bench/results/. */
export function report(name: string, result: BenchResult, outDir: string): string {
  const rows = result.figures.map((f) => [f.side ?? '', f.label, formatNumber(f.value), f.unit]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['side', 'figure', 'value', 'unit'][i]!.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(['side', 'figure', 'value', 'unit']), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const r = result.ratio;
  out.push('', `ratio: ${formatNumber(r.value)} (${r.meaning}); goal ${r.better === 'lower' ? '<=' : '>='} ${r.goal}: ${passes(r) ? 'MET' : 'NOT MET'}`);
  out.push(`anchor: ${result.anchor}`);
  for (const n of result.notes ?? []) out.push(`note: ${n}`);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), machine: machineInfo(), ...result, met: passes(r) }, null, 2));
  out.push(`written: ${path.relative(process.cwd(), file)}`);
  return out.join('\n');
}

function formatNumber(v: number | null): string {
  // A failed measurement (NaN, which JSON carries across the namespace as null) has no figure.
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

/** The technician's namespace: benches that reach lab boxes or multicast measure from there. */
export const IN_TECH_NAMESPACE = ['ip', 'netns', 'exec', 'fl-tech'];

/** A network namespace with only loopback (as the e2e suites use): for benches that drive the UI. */
export function inLoopbackOnly(): string[] {
  return ['unshare', ...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']), '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];
}

const INNER = 'FL_BENCH_INNER';
/** True in the copy of a bench that measureInside started. */
export const isInner = (): boolean => Boolean(process.env[INNER]);

/**
 * Runs the bench file `file` again under `prefix` (a namespace) and returns the result it prints:
 * its progress lines come back through `progress`, its result as one JSON document on stdout.
 */
export async function measureInside(file: string, prefix: string[], progress: (msg: string) => void, timeoutMs = 15 * 60_000): Promise<BenchResult> {
  const [cmd, ...args] = [...prefix, process.execPath, file];
  const out = await promisify(execFile)(cmd!, args, { env: { ...process.env, [INNER]: '1' }, maxBuffer: 1 << 20, timeout: timeoutMs });
  for (const line of out.stderr.split('\n').filter(Boolean)) progress(line);
  return JSON.parse(out.stdout) as BenchResult;
}

/** In the copy measureInside started: measures, and prints the result for it. Call at the bottom of a bench file. */
export async function measureIfInner(file: string, measure: (progress: (msg: string) => void) => Promise<BenchResult>): Promise<void> {
  if (!isInner() || !process.argv[1] || path.resolve(process.argv[1]) !== file) return;
  const result = await measure((m) => process.stderr.write(`${m}\n`));
  process.stdout.write(JSON.stringify(result));
}

/** `fieldlink-lab status --json`, or null when the lab cannot say (not up, not root, not Linux). */
export function labStatus(): LabStatus | null {
  try {
    const lab = path.join(import.meta.dirname, '..', 'bin', 'fieldlink-lab.js');
    return JSON.parse(execFileSync(process.execPath, [lab, 'status', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 })) as LabStatus;
  } catch {
    return null;
  }
}

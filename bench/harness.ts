import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

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

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

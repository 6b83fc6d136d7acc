import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORDINARY, SAMPLES } from '../electron/core/logs/redact-corpus.ts';
import { Redactor } from '../electron/core/logs/redact.ts';
import type { Benchmark } from './harness.ts';

/**
 * Redaction throughput on a journald-like corpus (ordinary lines with a secret now and then), ours
 * with every rule against `sed -E` with one password=… rule, the quick scrub a technician would
 * reach for, shown for scale (one rule against 57 kinds). The goal is the figure: 50 MB/s.
 */
const SECONDS = 3;
const SED = String.raw`s/(password|passwd|token|secret)=[^ ]+/\1=[REDACTED]/g`;

export const bench: Benchmark = {
  name: 'redact',
  description: 'log redaction throughput, ours (every rule) vs sed -E (one rule)',
  async run(progress) {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) lines.push(...ORDINARY);
    lines.push(SAMPLES[0]!.text, SAMPLES[40]!.text);
    const block = `${lines.join('\n')}\n`;
    progress(`ours: redacting for ${SECONDS} s`);
    const r = new Redactor();
    let bytes = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000) {
      for (const l of lines) r.line(l);
      bytes += block.length;
    }
    const ours = bytes / 1e6 / ((performance.now() - t0) / 1000);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-redact-'));
    const file = path.join(dir, 'corpus.log');
    fs.writeFileSync(file, block.repeat(Math.ceil((64 * 1e6) / block.length)));
    progress('sed -E over 64 MB');
    const t1 = performance.now();
    execFileSync('sh', ['-c', `sed -E '${SED}' '${file}' > /dev/null`]);
    const sed = fs.statSync(file).size / 1e6 / ((performance.now() - t1) / 1000);
    fs.rmSync(dir, { recursive: true, force: true });
    return {
      figures: [
        { label: 'throughput, every rule', value: ours, unit: 'MB/s', side: 'ours' },
        { label: 'throughput, one rule', value: sed, unit: 'MB/s', side: 'anchor' },
      ],
      anchor: `sed -E '${SED}' corpus.log > /dev/null`,
      ratio: { value: ours, goal: 50, better: 'higher', meaning: 'MB/s redacted with every rule' },
      notes: [`sed with one rule: ${(sed / ours).toFixed(1)}x ours`],
    };
  },
};

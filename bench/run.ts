import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { report, type Benchmark } from './harness.ts';

/**
 * `npm run bench -- NAME` runs bench/NAME.bench.ts: one benchmark, ours and the anchor tool side by
 * side in the same run, printed as a table and written as JSON under bench/results/.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const name = process.argv[2];

if (!name || name === '--help' || name === '-h') {
  process.stderr.write(`usage: npm run bench -- NAME\n\nbenchmarks:\n${available.map((n) => `  ${n}`).join('\n') || '  (none yet)'}\n`);
  process.exit(name ? 0 : 2);
}
if (!available.includes(name)) {
  process.stderr.write(`fieldlink bench: no benchmark called ${name}. Available: ${available.join(', ') || 'none'}\n`);
  process.exit(2);
}

const mod = (await import(pathToFileURL(path.join(here, `${name}.bench.ts`)).href)) as { bench: Benchmark };
const why = (await mod.bench.requires?.()) ?? null;
if (why) {
  process.stderr.write(`fieldlink bench: ${name} cannot run here: ${why}\n`);
  process.exit(1);
}
process.stderr.write(`${name}: ${mod.bench.description}\n`);
const result = await mod.bench.run((msg) => process.stderr.write(`  … ${msg}\n`));
process.stdout.write(`${report(name, result, path.join(here, 'results'))}\n`);

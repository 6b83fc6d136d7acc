import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm test`: the whole suite, as CI runs it. Static checks, unit tests, the UI in headless Chromium,
 * then the lab-backed suites inside the technician namespace (root and Linux only). The lab is
 * always taken down again, whatever failed. Ends with one line `tests: N passed, N failed`.
 */
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
// Tools run on this very Node (the project's 24), not whatever `node` their shebang finds on PATH.
const node = process.execPath;
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-test-'));
const canRunLab = process.platform === 'linux' && process.getuid?.() === 0;
const counts = { passed: 0, failed: 0, skipped: 0 };
const failures: string[] = [];
/** Each failed test, named with its file and first error line, so the end of the log says what broke. */
const failedTests: string[] = [];

function run(label: string, cmd: string, args: string[], opts: { allowFail?: boolean } = {}): Promise<boolean> {
  const started = Date.now();
  process.stderr.write(`\n▶ ${label}\n`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
    child.on('exit', (code, signal) => {
      const ok = code === 0;
      process.stderr.write(`${ok ? '✔' : '✘'} ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)${ok ? '' : ` exit ${code ?? signal}`}\n`);
      if (!ok && !opts.allowFail) failures.push(label);
      resolve(ok);
    });
    child.on('error', (err) => {
      process.stderr.write(`✘ ${label}: ${err.message}\n`);
      failures.push(label);
      resolve(false);
    });
  });
}

type VitestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: { name: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
};

function failedIn(project: string, r: VitestReport): string[] {
  const lines: string[] = [];
  for (const file of r.testResults ?? []) {
    const where = path.relative(root, file.name);
    const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failed) lines.push(`${project} ${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    // A file that failed to load or whose hooks threw has no failed test but a message.
    if (failed.length === 0 && file.message) lines.push(`${project} ${where}: ${firstLine(file.message)}`);
  }
  return lines;
}

const firstLine = (text = '') =>
  text
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim()
    .slice(0, 300) ?? '';

/** Runs one vitest project and adds its counts to the totals. */
async function vitest(project: string, prefix: string[] = []): Promise<boolean> {
  const out = path.join(resultsDir, `${project}.json`);
  const args = ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`];
  const [cmd, ...rest] = [...prefix, node, bin('vitest'), ...args];
  const ok = await run(`vitest ${project}`, cmd!, rest);
  if (fs.existsSync(out)) {
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as VitestReport;
    counts.passed += r.numPassedTests;
    counts.failed += r.numFailedTests;
    counts.skipped += r.numPendingTests + r.numTodoTests;
    failedTests.push(...failedIn(project, r));
  } else if (!ok) counts.failed += 1;
  return ok;
}

await run('typecheck', node, [bin('tsc'), '-p', 'tsconfig.json']);
await run('typecheck renderer', node, [bin('tsc'), '-p', 'renderer/tsconfig.json']);
await run('lint', node, [bin('eslint'), '.']);
await run('format', node, [bin('prettier'), '--check', '--log-level', 'warn', '.']);
await vitest('unit');
// The UI dials box addresses for real; in a namespace with only loopback nothing can leave the machine.
const isolated = ['unshare', ...(canRunLab ? [] : ['--user', '--map-root-user']), '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];
if (await run('build renderer', node, [bin('vite'), 'build', '-c', 'vite.renderer.config.ts', '--logLevel', 'warn'])) await vitest('e2e', isolated);

if (canRunLab) {
  const lab = [node, path.join(root, 'bin', 'fieldlink-lab.js')];
  try {
    if (await run('lab up', lab[0]!, [lab[1]!, 'up', '--boxes', '5', '--provisioned', '2'])) {
      await vitest('lab', ['ip', 'netns', 'exec', 'fl-tech']);
    }
  } finally {
    await run('lab down', lab[0]!, [lab[1]!, 'down']);
  }
  // From this (the machine's) namespace: a whole up/shape/unplug/reboot/down cycle must leave no
  // namespace, link, mount, process or file behind.
  await run('lab teardown leaves nothing behind', node, [path.join(root, 'lab', 'selftest-teardown.ts')]);
} else {
  process.stderr.write('\n! lab suites skipped: the edge-box lab needs Linux and root.\n');
}

if (failedTests.length > 0) process.stderr.write(`\nFailed tests:\n${failedTests.map((l) => `  ${l}`).join('\n')}\n`);
process.stderr.write(`\n${failures.length === 0 ? 'All steps passed.' : `Failed steps: ${failures.join(', ')}`}\n`);
process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * test/fixtures/needs.ts, run for real: a child vitest runs a fixture suite whose needs are missing,
 * once as a developer would and once under CI=true.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Report {
  numFailedTests: number;
  numPassedTests: number;
  numPendingTests: number;
  testResults: Array<{ assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
}

async function runFixture(ci: boolean): Promise<Report> {
  const env = { ...process.env, CI: ci ? 'true' : '' };
  const args = [path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/unit/fixtures/needs.config.ts', '--reporter=json'];
  const out = await promisify(execFile)(process.execPath, args, { cwd: REPO, env, maxBuffer: 8 << 20 }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  return JSON.parse(out.slice(out.indexOf('{'))) as Report;
}

const results = (r: Report) => r.testResults.flatMap((f) => f.assertionResults).map((a) => ({ name: a.fullName, status: a.status, message: a.failureMessages.join('\n') }));

describe('suites that need root, sshd or the lab', () => {
  it('skip where something is missing, saying what, on a developer machine', async () => {
    const r = await runFixture(false);
    expect(r.numFailedTests).toBe(0);
    expect(results(r).map(({ name, status }) => [name, status])).toEqual([
      ['a suite that needs a unicorn [skipped: needs a unicorn (apt install unicorn)] would use the unicorn', 'skipped'],
      ['a suite with all it needs a test that needs root [skipped: needs root (chown)]', 'skipped'],
      ['a suite with all it needs a test that needs nothing', 'passed'],
    ]);
  }, 60_000);

  it('fail under CI=true with a message saying what is missing', async () => {
    const r = await runFixture(true);
    expect(r.numPassedTests).toBe(0);
    const got = results(r);
    expect(got.map(({ name, status }) => [name, status])).toEqual([
      ['a suite that needs a unicorn has what it needs (needs a unicorn (apt install unicorn))', 'failed'],
      ['a suite with all it needs a test that needs root', 'failed'],
      ['a suite with all it needs a test that needs nothing', 'failed'],
    ]);
    expect(got[0]!.message).toContain('"a suite that needs a unicorn" cannot run here: it needs a unicorn (apt install unicorn). Under CI=true that is a failure, not a skip');
    expect(got[1]!.message).toContain('"a test that needs root" cannot run here: it needs root (chown).');
    expect(got[2]!.message).toContain('the ssh -G comparison cannot run here: it needs /usr/bin/ssh (openssh-client).');
  }, 60_000);
});

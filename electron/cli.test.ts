import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/fieldlink.js', import.meta.url));

/** Runs the real `fieldlink` launcher with the project's Node, as a technician's shell would. */
function fieldlink(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cli-'));

describe('fieldlink command line', () => {
  it('lists every command of the design in --help', async () => {
    const r = await fieldlink(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['discover', 'boxes', 'health', 'provision', 'logs', 'kubeconfig', 'ui']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('prints exactly one JSON document on stdout with --json', async () => {
    const r = await fieldlink(['boxes', '--json', '--data-dir', dataDir()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('honours FIELDLINK_DATA_DIR', async () => {
    const dir = dataDir();
    await fieldlink(['boxes'], { FIELDLINK_DATA_DIR: dir });
    expect(fs.existsSync(path.join(dir, 'fieldlink.db'))).toBe(true);
  });

  it('exits 2 with a clear sentence for usage problems', async () => {
    const unknown = await fieldlink(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    const badOption = await fieldlink(['boxes', '--bogus']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option --bogus\./);
  });

  it('provision without a profile or a box is a usage error, exit 2', async () => {
    const r = await fieldlink(['provision', 'box-01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: fieldlink provision TARGET… --profile FILE/);
    expect((await fieldlink(['provision', '--profile', 'x.yaml', '--parallel', '0'])).code).toBe(2);
  });

  it('reports a failure as a JSON error document under --json', async () => {
    const r = await fieldlink(['frobnicate', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});

describe('fieldlink global options', () => {
  it('takes --data-dir before the command as well as after it', async () => {
    const dir = dataDir();
    const r = await fieldlink(['--data-dir', dir, 'boxes', '--json']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'fieldlink.db'))).toBe(true);
  });
});

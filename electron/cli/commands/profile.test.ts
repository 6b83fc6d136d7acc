import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli.ts';

const EXAMPLE = fileURLToPath(new URL('../../../assets/profiles/example.yaml', import.meta.url));

async function fieldlink(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await main(args, { stdout, stderr });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cli-profile-'));

describe('fieldlink profile check', () => {
  it('exits 0 for the example profile and summarises it, without creating a data folder', async () => {
    const dir = path.join(dataDir(), 'never-made');
    const r = await fieldlink(['profile', 'check', EXAMPLE, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a valid profile "lab-single-server" for site lab/);
    expect(r.stdout).toMatch(/k3s {7}server v1\.30\.6\+k3s1 \(not in the artifact cache yet/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('prints one JSON document with --json', async () => {
    const r = await fieldlink(['profile', 'check', EXAMPLE, '--json', '--data-dir', dataDir()]);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, name: 'lab-single-server', k3s: { role: 'server', version: 'v1.30.6+k3s1', cached: false } });
  });

  it('points at every problem as file:line:col field: message and exits non-zero', async () => {
    const file = path.join(dataDir(), 'bad.yaml');
    fs.writeFileSync(file, fs.readFileSync(EXAMPLE, 'utf8').replace('passwordLogin: false', 'passwordLogin: no\nhostnme: x').replace('role: server', 'role: master'));
    const r = await fieldlink(['profile', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^fieldlink: The profile .*bad\.yaml is not valid \(3 problems\)/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/bad\.yaml:\d+:16 passwordLogin: Invalid input: expected boolean, received string$/),
      expect.stringMatching(/bad\.yaml:\d+:1 hostnme: unknown field "hostnme"$/),
      expect.stringMatching(/bad\.yaml:\d+:9 k3s\.role: Invalid discriminator value/),
    ]);
    const json = await fieldlink(['profile', 'check', file, '--json']);
    expect(JSON.parse(json.stdout).error.details.problems.map((p: { path: string }) => p.path)).toEqual(['passwordLogin', 'hostnme', 'k3s.role']);
  });

  it('refuses an inline secret without printing it', async () => {
    const file = path.join(dataDir(), 'leak.yaml');
    const token = `K10${'c'.repeat(64)}::server:verysecretpassword`;
    fs.writeFileSync(file, fs.readFileSync(EXAMPLE, 'utf8').replace('  # token: { secret: "k3s-token:lab" }', `  token: ${token}`));
    const r = await fieldlink(['profile', 'check', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('verysecretpassword');
    expect(JSON.parse(r.stdout).error.details.problems).toEqual([expect.objectContaining({ path: 'k3s.token', message: expect.stringMatching(/k3s join token/) })]);
  });

  it('says how to use it when the arguments are wrong, and a missing file clearly', async () => {
    expect((await fieldlink(['profile', 'lint', EXAMPLE])).stderr).toMatch(/Usage: fieldlink profile check FILE/);
    const missing = await fieldlink(['profile', 'check', '/nonexistent/p.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read the profile \/nonexistent\/p\.yaml: no such file/);
  });
});

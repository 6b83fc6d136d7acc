import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli.ts';

const BUILD = fileURLToPath(new URL('../../../lab/kube/build-airgap.sh', import.meta.url));
const V = 'v1.30.6+k3s1';
let release: string;

async function fieldlink(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await main(args, { stdout, stderr });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

beforeAll(() => {
  release = tmp('fl-cli-airgap-');
  execFileSync('sh', [BUILD, release, V], { stdio: 'pipe' });
});

describe('fieldlink artifacts', () => {
  it('add imports a release with progress on stderr, list and verify show it; --json keeps stdout to one document', async () => {
    const data = tmp('fl-cli-art-');
    const added = await fieldlink(['artifacts', 'add', release, '--json', '--data-dir', data]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ version: V, arches: ['amd64', 'arm64'] });
    expect(added.stderr).toMatch(/Copying k3s-arm64… \d+%/);
    expect(added.stderr).toMatch(/Copying install\.sh… 100%/);

    const list = await fieldlink(['artifacts', 'list', '--data-dir', data]);
    expect(list.stdout).toMatch(/^VERSION +ARCHES +SIZE +INSTALL\.SH +VERIFIED +ADDED\nv1\.30\.6\+k3s1 +amd64,arm64 +\d+\.\d KiB +yes /);

    const ok = await fieldlink(['artifacts', 'verify', V, '--data-dir', data]);
    expect(ok).toMatchObject({ code: 0, stdout: `k3s ${V}: every file matches its checksum.\n` });
    expect(ok.stderr).toMatch(/Hashing k3s… /);

    fs.appendFileSync(path.join(data, 'artifacts', 'k3s', V, 'k3s'), 'x');
    const bad = await fieldlink(['artifacts', 'verify', '--data-dir', data]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/k3s v1\.30\.6\+k3s1: DAMAGED.*\n {2}k3s: changed \(expected sha256 [0-9a-f]{16}…, found [0-9a-f]{16}…\)/);
  });

  it('add refuses a damaged file, naming it, and exits 1', async () => {
    const stick = path.join(tmp('fl-cli-usb-'), 'stick');
    fs.cpSync(release, stick, { recursive: true });
    fs.writeFileSync(path.join(stick, 'k3s-airgap-images-amd64.tar.zst'), 'truncated');
    const r = await fieldlink(['artifacts', 'add', stick, '--data-dir', tmp('fl-cli-art-')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fieldlink: k3s-airgap-images-amd64\.tar\.zst in .* does not match its release checksum/);
  });

  it('list says how to fill an empty cache; a wrong subcommand gets the usage', async () => {
    const data = tmp('fl-cli-art-');
    expect((await fieldlink(['artifacts', 'list', '--data-dir', data])).stdout).toMatch(/empty\. Add a k3s release with `fieldlink artifacts add DIR`/);
    const wrong = await fieldlink(['artifacts', 'remove', V, '--data-dir', data]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Usage: fieldlink artifacts add DIR/);
  });
});

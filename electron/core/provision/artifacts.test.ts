import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache, k3sArch, type ArtifactProgress } from './index.ts';

const BUILD = fileURLToPath(new URL('../../../lab/kube/build-airgap.sh', import.meta.url));
const V = 'v1.30.6+k3s1';
let release: string;

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** A copy of the lab's release folder under a name that does not say the version, to change or trim. */
function releaseCopy(skip: string[] = []): string {
  const dir = path.join(tmp('fl-usb-'), 'stick');
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(release)) if (!skip.includes(f)) fs.copyFileSync(path.join(release, f), path.join(dir, f));
  return dir;
}
async function refusal(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a refusal, but it succeeded');
}

beforeAll(() => {
  release = tmp('fl-airgap-');
  execFileSync('sh', [BUILD, release, V], { stdio: 'pipe' });
});

describe('artifacts add', () => {
  it('imports a k3s release checked against its manifests, with progress, and lists it', async () => {
    const data = tmp('fl-data-');
    const cache = new ArtifactCache(data);
    const progress: ArtifactProgress[] = [];
    const added = await cache.add(release, { onProgress: (p) => progress.push(p) });
    expect(added).toMatchObject({ version: V, arches: ['amd64', 'arm64'], installSh: true });
    const dir = path.join(data, 'artifacts', 'k3s', V);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [
        'cache.json',
        'install.sh',
        'k3s',
        'k3s-airgap-images-amd64.tar.zst',
        'k3s-airgap-images-arm64.tar.zst',
        'k3s-arm64',
        'k3s-images.txt',
        'sha256sum-amd64.txt',
        'sha256sum-arm64.txt',
      ].sort(),
    );
    expect(fs.statSync(path.join(dir, 'k3s-arm64')).mode & 0o777).toBe(0o755);
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
    const [listed] = cache.list();
    expect(listed).toMatchObject({ version: V, arches: ['amd64', 'arm64'], size: added.size });
    expect(Date.parse(listed!.verifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Nothing half-done is left behind.
    expect(fs.readdirSync(path.dirname(dir))).toEqual([V]);
  });

  it('reads the version from the binary when the folder name does not say it, and refuses a contradicting --version', async () => {
    const cache = new ArtifactCache(tmp('fl-data-'));
    const stick = releaseCopy();
    expect((await cache.add(stick)).version).toBe(V);
    const wrong = await refusal(cache.add(stick, { version: 'v1.31.2+k3s1' }));
    expect(wrong.message).toMatch(/says it is v1\.30\.6\+k3s1, not v1\.31\.2\+k3s1/);
  });

  it('refuses a file that does not match the manifest, naming it, and adds nothing', async () => {
    const data = tmp('fl-data-');
    const stick = releaseCopy();
    fs.appendFileSync(path.join(stick, 'k3s-arm64'), '\n# tampered\n');
    const err = await refusal(new ArtifactCache(data).add(stick));
    expect(err.code).toBe('STORAGE');
    expect(err.message).toMatch(/^k3s-arm64 in .* does not match its release checksum .*nothing was added/);
    expect(new ArtifactCache(data).list()).toEqual([]);
    expect(fs.readdirSync(path.join(data, 'artifacts', 'k3s'))).toEqual([]);
  });

  it('refuses a folder without its checksum manifest, or with a listed piece missing', async () => {
    const cache = new ArtifactCache(tmp('fl-data-'));
    expect((await refusal(cache.add(releaseCopy(['sha256sum-amd64.txt', 'sha256sum-arm64.txt'])))).message).toMatch(/No sha256sum-<arch>\.txt/);
    expect((await refusal(cache.add(releaseCopy(['k3s-airgap-images-arm64.tar.zst'])))).message).toMatch(/has sha256sum-arm64\.txt but not k3s-airgap-images-arm64\.tar\.zst/);
  });

  it('does not follow a link on the stick', async () => {
    const stick = releaseCopy(['k3s']);
    fs.symlinkSync(path.join(release, 'k3s'), path.join(stick, 'k3s'));
    expect((await refusal(new ArtifactCache(tmp('fl-data-')).add(stick))).message).toMatch(/not a regular file/);
  });

  it('adding the same release twice is harmless; one arch can be added after the other', async () => {
    const cache = new ArtifactCache(tmp('fl-data-'));
    const amd = releaseCopy(['sha256sum-arm64.txt', 'k3s-arm64', 'k3s-airgap-images-arm64.tar.zst']);
    expect((await cache.add(amd)).arches).toEqual(['amd64']);
    expect(() => cache.pick(V, 'aarch64')).toThrow(`No k3s ${V} for arm64 in the cache; add it with \`fieldlink artifacts add DIR\``);
    expect((await cache.add(release)).arches).toEqual(['amd64', 'arm64']);
    expect((await cache.add(release)).arches).toEqual(['amd64', 'arm64']);
    expect(cache.list()).toHaveLength(1);
  });
});

describe('artifacts pick', () => {
  it('gives the paths for a box by its uname -m, with the release checksums', async () => {
    const cache = new ArtifactCache(tmp('fl-data-'));
    await cache.add(release);
    const arm = cache.pick(V, 'aarch64');
    expect(arm.arch).toBe('arm64');
    expect(path.basename(arm.binary.path)).toBe('k3s-arm64');
    expect(arm.binary.sha256).toBe(sha(path.join(release, 'k3s-arm64')));
    expect(arm.images.name).toBe('k3s-airgap-images-arm64.tar.zst');
    expect(cache.pick(V, 'x86_64').binary.name).toBe('k3s');
    expect(cache.pick(V, 'amd64').installSh?.path).toMatch(/install\.sh$/);
    expect(() => cache.pick('v1.29.0+k3s1', 'amd64')).toThrow(/No k3s v1\.29\.0\+k3s1 in the artifact cache; add it with `fieldlink artifacts add DIR`/);
    expect(() => cache.pick(V, 'riscv64')).toThrow(/no build for the "riscv64"/);
  });

  it('maps uname -m to k3s arch names', () => {
    expect(['x86_64', 'aarch64', 'armv7l', 'arm64'].map(k3sArch)).toEqual(['amd64', 'arm64', 'arm', 'arm64']);
  });
});

describe('artifacts verify', () => {
  it('re-hashes every file and names the changed and the missing', async () => {
    const data = tmp('fl-data-');
    const cache = new ArtifactCache(data);
    await cache.add(release);
    expect(await cache.verify()).toEqual([{ version: V, ok: true, problems: [] }]);
    const dir = path.join(data, 'artifacts', 'k3s', V);
    fs.writeFileSync(path.join(dir, 'k3s-airgap-images-amd64.tar.zst'), 'bit rot');
    fs.rmSync(path.join(dir, 'install.sh'));
    const [r] = await cache.verify(V);
    expect(r!.ok).toBe(false);
    expect(r!.problems.map((p) => [p.file, p.problem])).toEqual([
      ['k3s-airgap-images-amd64.tar.zst', 'changed'],
      ['install.sh', 'missing'],
    ]);
    await expect(cache.verify('v9.9.9+k3s1')).rejects.toThrow(/No k3s v9\.9\.9\+k3s1 in the artifact cache/);
  });
});

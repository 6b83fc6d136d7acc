import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { copyHashed, hashFile, K3S_VERSION, parseSha256Manifest, regularFile, syncDir, writeFileDurable } from './artifact-files.ts';

/*
 * The laptop's k3s artifact cache, <dataDir>/artifacts/k3s/<version>/, filled from a USB stick
 * with the files as k3s releases them. Every file is checked against the release's sha256sum
 * manifest while it is copied; the checksums are kept in cache.json so a provisioning step can
 * have the box check what it received against the release, not against our copy.
 */

export type K3sArch = 'amd64' | 'arm64' | 'arm';
const ARCHES: readonly K3sArch[] = ['amd64', 'arm64', 'arm'];
const BINARY: Record<K3sArch, string> = { amd64: 'k3s', arm64: 'k3s-arm64', arm: 'k3s-armhf' };
/** Airgap image tarballs in order of preference: zstd is the smallest and what k3s imports fastest. */
const IMAGES = (arch: K3sArch) => [`k3s-airgap-images-${arch}.tar.zst`, `k3s-airgap-images-${arch}.tar.gz`, `k3s-airgap-images-${arch}.tar`];
const INDEX = 'cache.json';

/** A box's `uname -m` (or a k3s arch name) as the arch k3s names its assets by. */
export function k3sArch(machine: string): K3sArch {
  const m = machine.trim().toLowerCase();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64' || m === 'armv8l') return 'arm64';
  if (m === 'armv7l' || m === 'armhf' || m === 'arm') return 'arm';
  throw new FieldlinkError('BAD_REQUEST', `k3s has no build for the "${m.slice(0, 40)}" architecture (it has amd64, arm64 and armhf).`);
}

export interface CachedFile {
  name: string;
  size: number;
  sha256: string;
  /** True when the release's sha256sum manifest lists it; install.sh comes from get.k3s.io and is not. */
  listed: boolean;
}

export interface CachedVersion {
  version: string;
  dir: string;
  arches: K3sArch[];
  /** Bytes on disk for this version. */
  size: number;
  files: CachedFile[];
  installSh: boolean;
  addedAt: string;
  /** When every file last hashed to its checksum (at add, or by verify). */
  verifiedAt: string;
}

/** What a box of one arch needs, by path, with the checksums the box should see. */
export interface K3sArtifacts {
  version: string;
  arch: K3sArch;
  binary: CachedFile & { path: string };
  images: CachedFile & { path: string };
  installSh: (CachedFile & { path: string }) | null;
}

export interface ArtifactProgress {
  phase: 'copy' | 'verify';
  file: string;
  /** Bytes done and total over the whole run, for one progress bar. */
  done: number;
  total: number;
}

export interface VerifyResult {
  version: string;
  ok: boolean;
  problems: { file: string; problem: 'missing' | 'changed'; expected: string; actual?: string }[];
}

interface Index {
  version: string;
  addedAt: string;
  verifiedAt: string;
  files: Record<string, Omit<CachedFile, 'name'>>;
}

export class ArtifactCache {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'artifacts', 'k3s');
  }

  /**
   * Imports a folder of k3s release files. Files the manifest lists but the folder lacks are
   * skipped (nobody copies every asset); a file that is present and listed must match, or nothing
   * is added. The version is `opts.version`, else the folder's name, else the tag inside the binary;
   * when two of these disagree it is refused rather than filed under the wrong version.
   */
  async add(fromDir: string, opts: { version?: string; signal?: AbortSignal; onProgress?: (p: ArtifactProgress) => void } = {}): Promise<CachedVersion> {
    const plan = planImport(fromDir);
    fs.mkdirSync(this.root, { recursive: true });
    checkFreeSpace(this.root, plan.total);
    const staging = fs.mkdtempSync(path.join(this.root, '.incoming-'));
    try {
      const copied = await copyAll(fromDir, staging, plan, opts);
      const version = decideVersion(fromDir, opts.version, copied.versions);
      return this.#commit(version, staging, copied.files);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  list(): CachedVersion[] {
    if (!fs.existsSync(this.root)) return [];
    const out: CachedVersion[] = [];
    for (const name of fs.readdirSync(this.root)) {
      if (!K3S_VERSION.test(name)) continue;
      const index = this.#read(name);
      if (index) out.push(this.#describe(index));
    }
    return out.sort((a, b) => compareVersions(b.version, a.version));
  }

  /** Re-hashes every cached file (of one version, or all) against the release checksums. */
  async verify(version?: string, opts: { signal?: AbortSignal; onProgress?: (p: ArtifactProgress) => void } = {}): Promise<VerifyResult[]> {
    const versions = version === undefined ? this.list().map((v) => v.version) : [this.#need(version).version];
    const indexes = versions.map((v) => this.#need(v));
    const total = indexes.reduce((n, ix) => n + Object.values(ix.files).reduce((m, f) => m + f.size, 0), 0);
    let done = 0;
    const results: VerifyResult[] = [];
    for (const ix of indexes) {
      const problems: VerifyResult['problems'] = [];
      for (const [name, f] of Object.entries(ix.files)) {
        const file = path.join(this.root, ix.version, name);
        if (!fs.existsSync(file)) {
          problems.push({ file: name, problem: 'missing', expected: f.sha256 });
          continue;
        }
        const actual = await hashFile(file, { signal: opts.signal, onBytes: (n) => opts.onProgress?.({ phase: 'verify', file: name, done: (done += n), total }) });
        if (actual !== f.sha256) problems.push({ file: name, problem: 'changed', expected: f.sha256, actual });
      }
      if (problems.length === 0) writeFileDurable(path.join(this.root, ix.version, INDEX), `${JSON.stringify({ ...ix, verifiedAt: new Date().toISOString() }, null, 2)}\n`);
      results.push({ version: ix.version, ok: problems.length === 0, problems });
    }
    return results;
  }

  /** The files a box of `arch` (k3s name or `uname -m`) needs for k3s `version`, or an error saying how to get them. */
  pick(version: string, arch: string): K3sArtifacts {
    const a = k3sArch(arch);
    const ix = this.#read(version);
    const addHint = 'add it with `fieldlink artifacts add DIR` (DIR holding the k3s release files and their sha256sum-<arch>.txt)';
    if (!ix) throw new FieldlinkError('NOT_FOUND', `No k3s ${version} in the artifact cache; ${addHint}.`, { version });
    const images = IMAGES(a).find((n) => ix.files[n]);
    if (!ix.files[BINARY[a]] || !images) throw new FieldlinkError('NOT_FOUND', `No k3s ${version} for ${a} in the cache; ${addHint}.`, { version, arch: a });
    const entry = (name: string) => {
      const f = ix.files[name]!;
      const p = path.join(this.root, version, name);
      // A size check costs a stat; the full re-hash is `verify`, and the box checks sha256 on arrival.
      if (!fs.existsSync(p) || fs.statSync(p).size !== f.size) {
        throw new FieldlinkError('STORAGE', `The cached ${name} of k3s ${version} changed since it was added; run \`fieldlink artifacts verify ${version}\` and add it again.`);
      }
      return { name, ...f, path: p };
    };
    return { version, arch: a, binary: entry(BINARY[a]), images: entry(images), installSh: ix.files['install.sh'] ? entry('install.sh') : null };
  }

  /** Moves verified files into the version's folder and records them; an existing different file is refused, not replaced. */
  #commit(version: string, staging: string, files: Map<string, Omit<CachedFile, 'name'>>): CachedVersion {
    const dir = path.join(this.root, version);
    const prev = this.#read(version);
    for (const [name, f] of files) {
      const old = prev?.files[name];
      if (old && old.sha256 !== f.sha256) {
        throw new FieldlinkError(
          'CONFLICT',
          `The cache already holds a different ${name} for k3s ${version} (release files never change within a version). Remove ${dir} first if you mean to replace it.`,
        );
      }
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const name of files.keys()) fs.renameSync(path.join(staging, name), path.join(dir, name));
    syncDir(dir);
    const now = new Date().toISOString();
    const index: Index = { version, addedAt: prev?.addedAt ?? now, verifiedAt: now, files: { ...prev?.files, ...Object.fromEntries(files) } };
    writeFileDurable(path.join(dir, INDEX), `${JSON.stringify(index, null, 2)}\n`);
    return this.#describe(index);
  }

  #read(version: string): Index | null {
    if (!K3S_VERSION.test(version)) throw new FieldlinkError('BAD_REQUEST', `"${version.slice(0, 40)}" is not a k3s version; they look like v1.30.6+k3s1.`);
    const file = path.join(this.root, version, INDEX);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new FieldlinkError('STORAGE', `Cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as Index;
    } catch {
      throw new FieldlinkError('STORAGE', `${file} is damaged; remove ${path.dirname(file)} and add k3s ${version} again.`);
    }
  }

  #need(version: string): Index {
    const ix = this.#read(version);
    if (!ix) throw new FieldlinkError('NOT_FOUND', `No k3s ${version} in the artifact cache; \`fieldlink artifacts list\` shows what is there.`, { version });
    return ix;
  }

  #describe(ix: Index): CachedVersion {
    const files = Object.entries(ix.files)
      .map(([name, f]) => ({ name, ...f }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const arches = ARCHES.filter((a) => ix.files[BINARY[a]] && IMAGES(a).some((n) => ix.files[n]));
    return {
      version: ix.version,
      dir: path.join(this.root, ix.version),
      arches,
      size: files.reduce((n, f) => n + f.size, 0),
      files,
      installSh: Boolean(ix.files['install.sh']),
      addedAt: ix.addedAt,
      verifiedAt: ix.verifiedAt,
    };
  }
}

interface ImportPlan {
  /** name -> expected sha256 (null: not in any manifest, taken as it is) */
  files: Map<string, string | null>;
  binaries: Set<string>;
  total: number;
}

/** Decides what to copy from the folder before copying anything: a missing piece fails in a second, not after 600 MB. */
function planImport(fromDir: string): ImportPlan {
  let names: string[];
  try {
    names = fs.readdirSync(fromDir);
  } catch (err) {
    throw new FieldlinkError('NOT_FOUND', `Cannot read the folder ${fromDir}: ${(err as Error).message}. Give the folder holding the k3s release files.`);
  }
  const present = new Set(names);
  const files = new Map<string, string | null>();
  const binaries = new Set<string>();
  const manifests = ARCHES.filter((a) => present.has(`sha256sum-${a}.txt`));
  if (manifests.length === 0) {
    throw new FieldlinkError(
      'BAD_REQUEST',
      `No sha256sum-<arch>.txt in ${fromDir}: copy the release's checksum file (e.g. sha256sum-amd64.txt) with the artifacts, so each can be checked.`,
    );
  }
  for (const arch of manifests) {
    const sums = parseSha256Manifest(path.join(fromDir, `sha256sum-${arch}.txt`));
    const images = IMAGES(arch).find((n) => present.has(n) && sums.has(n));
    const missing = [BINARY[arch], images ?? IMAGES(arch)[0]!].filter((n) => !present.has(n) || !sums.has(n));
    if (missing.length > 0) {
      throw new FieldlinkError(
        'BAD_REQUEST',
        `${fromDir} has sha256sum-${arch}.txt but not ${missing.join(' and ')} listed in it and present beside it; copy ${missing.join(' and ')} from the same release.`,
      );
    }
    for (const [name, sum] of sums) if (present.has(name)) files.set(name, sum);
    files.set(`sha256sum-${arch}.txt`, null);
    binaries.add(BINARY[arch]);
  }
  if (present.has('install.sh') && !files.has('install.sh')) files.set('install.sh', null);
  let total = 0;
  for (const name of files.keys()) total += regularFile(path.join(fromDir, name)).size;
  return { files, binaries, total };
}

async function copyAll(
  fromDir: string,
  staging: string,
  plan: ImportPlan,
  opts: { signal?: AbortSignal; onProgress?: (p: ArtifactProgress) => void },
): Promise<{ files: Map<string, Omit<CachedFile, 'name'>>; versions: Set<string> }> {
  const files = new Map<string, Omit<CachedFile, 'name'>>();
  const versions = new Set<string>();
  let done = 0;
  for (const [name, expected] of plan.files) {
    const executable = plan.binaries.has(name) || name === 'install.sh';
    const r = await copyHashed(path.join(fromDir, name), path.join(staging, name), {
      mode: executable ? 0o755 : 0o644,
      scanVersion: plan.binaries.has(name),
      signal: opts.signal,
      onBytes: (n) => opts.onProgress?.({ phase: 'copy', file: name, done: (done += n), total: plan.total }),
    });
    if (expected !== null && r.sha256 !== expected) {
      throw new FieldlinkError(
        'STORAGE',
        `${name} in ${fromDir} does not match its release checksum (expected ${expected.slice(0, 16)}…, got ${r.sha256.slice(0, 16)}…): the copy is damaged or from another release. Copy it again; nothing was added.`,
        { file: name, expected, actual: r.sha256 },
      );
    }
    for (const v of r.versions) versions.add(v);
    files.set(name, { size: r.size, sha256: r.sha256, listed: expected !== null });
  }
  return { files, versions };
}

function decideVersion(fromDir: string, asked: string | undefined, inBinary: Set<string>): string {
  const folder = path.basename(path.resolve(fromDir)).replace(/^k3s[-_]/, '');
  const named = asked ?? (K3S_VERSION.test(folder) ? folder : undefined);
  if (named !== undefined && !K3S_VERSION.test(named)) throw new FieldlinkError('BAD_REQUEST', `"${named.slice(0, 40)}" is not a k3s version; they look like v1.30.6+k3s1.`);
  if (named !== undefined) {
    if (inBinary.size > 0 && !inBinary.has(named)) {
      throw new FieldlinkError('BAD_REQUEST', `The k3s binary in ${fromDir} says it is ${[...inBinary].join(', ')}, not ${named}; nothing was added.`);
    }
    return named;
  }
  if (inBinary.size === 1) return [...inBinary][0]!;
  throw new FieldlinkError(
    'BAD_REQUEST',
    `Cannot tell which k3s version ${fromDir} holds${inBinary.size > 1 ? ` (the binary names ${[...inBinary].join(', ')})` : ''}; say it with --version v1.30.6+k3s1.`,
  );
}

function checkFreeSpace(dir: string, need: number): void {
  let free: number;
  try {
    const st = fs.statfsSync(dir);
    free = st.bavail * st.bsize;
  } catch {
    return;
  }
  if (free < need + 64 * 1024 * 1024) {
    throw new FieldlinkError('STORAGE', `Not enough disk space for the artifacts: they need ${mib(need)} and ${mib(free)} is free under ${dir}. Free some space and add again.`);
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** v1.30.6+k3s1 < v1.30.10+k3s1 < v1.31.0+k3s1: numerically, part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/[0-9]+/g)!.map(Number);
  const pb = b.match(/[0-9]+/g)!.map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

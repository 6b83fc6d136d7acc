import { FieldlinkError } from '../../../shared/errors.ts';
import { ArtifactCache, type ArtifactProgress, type CachedVersion, type VerifyResult } from '../../core/provision/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { table, type Output } from '../output.ts';

const USAGE = 'Usage: fieldlink artifacts add DIR [--version V] | list | verify [VERSION]';

export const artifacts: Command = {
  name: 'artifacts',
  usage: 'add DIR [--version V] | list | verify [VERSION]',
  summary: 'the k3s artifact cache: import a release from a USB stick (checked against its sha256 manifest), list, re-verify',
  options: {
    version: { type: 'string', description: 'with add: the k3s version the folder holds (read from the folder name or the binary when absent)' },
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const cache = new ArtifactCache(ctx.app().dataDir);
    if (sub === 'add' && rest.length === 1) return add(ctx, cache, rest[0]!);
    if (sub === 'list' && rest.length === 0) return list(ctx, cache);
    if (sub === 'verify' && rest.length <= 1) return verify(ctx, cache, rest[0]);
    throw new FieldlinkError('BAD_REQUEST', USAGE);
  },
};

async function add(ctx: CommandContext, cache: ArtifactCache, dir: string): Promise<number> {
  const version = typeof ctx.options.version === 'string' ? ctx.options.version : undefined;
  ctx.out.progress(`Importing k3s artifacts from ${dir}, checking each file against its release checksum…`);
  const v = await cache.add(dir, { version, signal: ctx.signal, onProgress: progressPrinter(ctx.out, 'Copying') });
  ctx.out.result(v, () => `Added k3s ${v.version} (${v.arches.join(', ')}; ${mib(v.size)}) to ${v.dir}; every file matched its release checksum.`);
  return 0;
}

function list(ctx: CommandContext, cache: ArtifactCache): number {
  const versions = cache.list();
  ctx.out.result(versions, () =>
    versions.length === 0
      ? 'The artifact cache is empty. Add a k3s release with `fieldlink artifacts add DIR`.'
      : table(
          ['VERSION', 'ARCHES', 'SIZE', 'INSTALL.SH', 'VERIFIED', 'ADDED'],
          versions.map((v: CachedVersion) => [v.version, v.arches.join(',') || '(incomplete)', mib(v.size), v.installSh ? 'yes' : 'no', v.verifiedAt, v.addedAt]),
        ),
  );
  return 0;
}

async function verify(ctx: CommandContext, cache: ArtifactCache, version: string | undefined): Promise<number> {
  const results = await cache.verify(version, { signal: ctx.signal, onProgress: progressPrinter(ctx.out, 'Hashing') });
  ctx.out.result(results, () => (results.length === 0 ? 'Nothing to verify: the artifact cache is empty.' : results.map(describe).join('\n')));
  return results.every((r) => r.ok) ? 0 : 1;
}

function describe(r: VerifyResult): string {
  if (r.ok) return `k3s ${r.version}: every file matches its checksum.`;
  return [
    `k3s ${r.version}: DAMAGED; add the release again with \`fieldlink artifacts add DIR\` (after removing the damaged folder):`,
    ...r.problems.map((p) => `  ${p.file}: ${p.problem === 'missing' ? 'missing' : `changed (expected sha256 ${p.expected.slice(0, 16)}…, found ${p.actual?.slice(0, 16)}…)`}`),
  ].join('\n');
}

/** One stderr line per file and every 10 %: enough to trust on a slow stick, not a flood. */
function progressPrinter(out: Output, verb: string): (p: ArtifactProgress) => void {
  let lastFile = '';
  let lastStep = -1;
  return (p) => {
    const step = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
    if (p.file === lastFile && step === lastStep) return;
    lastFile = p.file;
    lastStep = step;
    out.progress(`${verb} ${p.file}… ${p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100)}% (${mib(p.done)} of ${mib(p.total)})`);
  };
}

const mib = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

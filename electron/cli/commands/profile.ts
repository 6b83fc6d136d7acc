import { FieldlinkError } from '../../../shared/errors.ts';
import { resolveDataDir } from '../../core/config/index.ts';
import { ArtifactCache, loadProfile, type Profile } from '../../core/provision/index.ts';
import type { Command, CommandContext } from '../command.ts';

export const profile: Command = {
  name: 'profile',
  usage: 'check FILE',
  summary: 'check a provisioning profile: every problem with its line, column and field',
  async run(ctx) {
    const [sub, file, ...extra] = ctx.args;
    if (sub !== 'check' || !file || extra.length > 0) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink profile check FILE');
    // An invalid profile throws BAD_REQUEST listing every problem as file:line:col field: message.
    const p = loadProfile(file);
    const cached = k3sCached(ctx, p);
    const summary = {
      file,
      valid: true,
      name: p.name,
      site: p.site.id,
      hostname: p.hostname,
      k3s: { role: p.k3s.role, version: p.k3s.version, cached },
      users: p.users.map((u) => ({ name: u.name, keys: u.keys.length })),
      passwordLogin: p.passwordLogin,
    };
    ctx.out.result(summary, () =>
      [
        `${file}: a valid profile "${p.name}" for site ${p.site.id}.`,
        `  hostname  ${p.hostname}`,
        `  network   ${p.network.mode}`,
        `  users     ${p.users.map((u) => `${u.name} (${u.keys.length} key${u.keys.length === 1 ? '' : 's'})`).join(', ')}; password login ${p.passwordLogin ? 'kept on' : 'off'}`,
        `  k3s       ${p.k3s.role} ${p.k3s.version}${cached ? '' : ` (not in the artifact cache yet: add it with \`fieldlink artifacts add DIR\`)`}`,
        `  workloads ${p.workloads.manifests.length} manifest(s), ${p.workloads.helmCharts.length} Helm chart(s), ${p.workloads.images.length} image archive(s)`,
      ].join('\n'),
    );
    return 0;
  },
};

/** Whether this laptop can install the profile's k3s; read only, so checking a profile never creates a data folder. */
function k3sCached(ctx: CommandContext, p: Profile): boolean {
  const dir = typeof ctx.options['data-dir'] === 'string' ? ctx.options['data-dir'] : undefined;
  try {
    return new ArtifactCache(resolveDataDir(dir)).list().some((v) => v.version === p.k3s.version);
  } catch {
    return false;
  }
}

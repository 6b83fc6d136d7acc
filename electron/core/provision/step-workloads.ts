import fs from 'node:fs';
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { FieldlinkError } from '../../../shared/errors.ts';
import { factsOf, readKeyValues, run, sha256Hex, shq, type Step, type StepContext } from './steps.ts';

/*
 * The profile's workloads in k3s's auto-deploy folder (k3s applies what lands there by itself):
 * manifests as they are, Helm charts as HelmChart resources with the chart archive inline
 * (chartContent), and image archives in the agent's images folder, imported at k3s start. Each file
 * is compared by sha256, so a second run sends nothing.
 */
const MANIFESTS = '/var/lib/rancher/k3s/server/manifests';
const IMAGES = '/var/lib/rancher/k3s/agent/images';

interface WorkloadFile {
  /** Where it goes on the box. */
  to: string;
  /** What it is, for the drift and the step log. */
  what: string;
  data: Buffer;
}

function readBeside(ctx: StepContext, rel: string): Buffer {
  if (!ctx.profileDir) throw new FieldlinkError('INTERNAL', `The profile's folder is not known, so ${rel} cannot be read.`);
  const file = path.join(ctx.profileDir, rel);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new FieldlinkError('NOT_FOUND', `The profile names ${rel}, but ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** Every file the profile's workloads put on the box. */
export function workloadFiles(ctx: StepContext): WorkloadFile[] {
  const { workloads, name } = ctx.profile;
  const header = `# Written by Fieldlink from profile ${name}.\n`;
  const files: WorkloadFile[] = [];
  for (const m of workloads.manifests) {
    const body = m.content ?? readBeside(ctx, m.file!).toString('utf8');
    files.push({ to: `${MANIFESTS}/${m.name}.yaml`, what: `manifest ${m.name}`, data: Buffer.from(header + body) });
  }
  for (const h of workloads.helmCharts) {
    const spec: Record<string, unknown> = { targetNamespace: h.targetNamespace };
    if (h.file) spec.chartContent = readBeside(ctx, h.file).toString('base64');
    else Object.assign(spec, { chart: h.chart, ...(h.repo ? { repo: h.repo } : {}), ...(h.version ? { version: h.version } : {}) });
    if (Object.keys(h.values).length) spec.valuesContent = stringifyYaml(h.values);
    const doc = { apiVersion: 'helm.cattle.io/v1', kind: 'HelmChart', metadata: { name: h.name, namespace: h.namespace }, spec };
    files.push({ to: `${MANIFESTS}/${h.name}.yaml`, what: `Helm chart ${h.name}`, data: Buffer.from(header + stringifyYaml(doc)) });
  }
  for (const pattern of workloads.images) {
    const rel = pattern.replaceAll('{arch}', factsOf(ctx).arch);
    files.push({ to: `${IMAGES}/${path.basename(rel)}`, what: `image archive ${path.basename(rel)}`, data: readBeside(ctx, rel) });
  }
  return files;
}

async function differing(ctx: StepContext): Promise<WorkloadFile[]> {
  const files = workloadFiles(ctx);
  if (files.length === 0) return [];
  const out = await run(ctx, 'report its workload files', files.map((f, i) => `echo "f${i}=$(sha256sum ${shq(f.to)} 2>/dev/null | cut -c1-64)"`).join('\n'), {
    timeoutMs: 120_000,
  });
  const kv = readKeyValues(out);
  return files.filter((f, i) => kv.get(`f${i}`) !== sha256Hex(f.data));
}

function serverOnly(ctx: StepContext): void {
  if (ctx.profile.k3s.role !== 'server' && ctx.profile.workloads.manifests.length + ctx.profile.workloads.helmCharts.length > 0) {
    throw new FieldlinkError('BAD_REQUEST', "Manifests and Helm charts are deployed by a k3s server; this profile's k3s is an agent. Put them in the server's profile.");
  }
}

export const workloadsStep: Step = {
  id: 'workloads',
  title: 'Place the workloads',
  async check(ctx) {
    serverOnly(ctx);
    const d = await differing(ctx);
    return { done: d.length === 0, drift: d.map((f) => `${f.what}: ${f.to} -> as in the profile`) };
  },
  async apply(ctx, progress) {
    const d = await differing(ctx);
    await run(ctx, 'make the workload folders', `mkdir -p ${MANIFESTS} ${IMAGES}`);
    for (const f of d) {
      progress(`Placing ${f.what}`);
      await ctx.shell.put(f.to, f.data, 0o600, { signal: ctx.signal, timeoutMs: 30 * 60_000 });
    }
  },
  async verify(ctx) {
    const d = await differing(ctx);
    if (d.length) throw new FieldlinkError('REMOTE_FAILED', `Workload files are still not as in the profile: ${d.map((f) => f.to).join(', ')}.`);
  },
};

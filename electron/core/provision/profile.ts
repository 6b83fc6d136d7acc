import { z } from 'zod';
import { FieldlinkError } from '../../../shared/errors.ts';

/*
 * A profile is the desired state of a box, the whole stack in one YAML file. The schema is the one
 * source of truth: the parser validates with it, and assets/profiles/profile.schema.json is
 * generated from it (z.toJSONSchema) so editors complete and check the same rules. Objects are
 * strict: a misspelt field is an error pointing at it, never a setting silently ignored on a box.
 */

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Kubernetes label keys: an optional DNS-subdomain prefix and a name of up to 63 characters.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PUBLIC_KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;
/** A path inside the profile's own folder: never absolute, never climbing out with `..`. */
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]+$/;
/** The same, where `{arch}` stands for the box's arch (amd64, arm64). */
const ARCH_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))([A-Za-z0-9._\-/]|\{arch\})+$/;

/** `{ secret: "k3s-token:site-12" }`: the value lives in Fieldlink's keychain, never in the file. */
export const SecretRef = z
  .strictObject(
    {
      secret: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/, { error: 'a secret name is letters, digits and . _ : @ / - (up to 128), e.g. k3s-token:site-12' })
        .describe('The name of the secret in the keychain, e.g. k3s-token:site-12'),
    },
    { error: (iss) => (typeof iss.input === 'string' ? 'an inline secret is not allowed here: keep it in the keychain and write { secret: "NAME" }' : undefined) },
  )
  .describe('A reference to a secret held in the keychain of this laptop; secrets are never written in a profile.');
export type SecretRef = z.infer<typeof SecretRef>;

const Labels = z.record(
  z.string().regex(LABEL_KEY, { error: 'a label key is [prefix/]name: letters, digits, - _ . (name up to 63)' }),
  z.string().regex(LABEL_VALUE, { error: 'a label value is up to 63 letters, digits, - _ . (or empty)' }),
);

const Host = z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'expected an IP address or a host name' });
const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IP address' });

const Site = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, { error: 'a site id is 1-32 lowercase letters, digits and -' }),
    name: z.string().max(200).optional().describe('A human name for the site, shown in the app'),
    labels: Labels.default({}).describe('Labels describing the site; every node of the site carries them'),
  })
  .describe('The site these boxes belong to');

/** Placeholders a hostname pattern may use: {site}, {serial}, {serial:N} (its last N characters). */
const HOSTNAME_PATTERN = /^([a-z0-9-]|\{site\}|\{serial\}|\{serial:[1-9][0-9]?\})+$/;

const Interface = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, { error: 'an interface name is up to 15 letters, digits and _ . : -' });
const Vlan = z.number().int().min(1).max(4094).describe('802.1Q VLAN id (1-4094) to put the address on');

const Keep = z.strictObject({
  mode: z.literal('keep').describe('Leave the network as the box has it (set at the factory, or a DHCP reservation)'),
});

const Dhcp = z.strictObject({
  mode: z.literal('dhcp'),
  interface: Interface.optional().describe('The interface to configure; the one with the default route when absent'),
  vlan: Vlan.optional(),
});

const Static = z.strictObject({
  mode: z.literal('static'),
  interface: Interface.optional().describe('The interface to configure; the one with the default route when absent'),
  address: z.union([z.cidrv4(), z.cidrv6()], { error: 'expected an address with its prefix length, e.g. 10.77.0.50/24' }).describe('Address and prefix, e.g. 10.77.0.50/24'),
  gateway: IpAddress.describe('The default gateway'),
  dns: z.array(IpAddress).min(1).max(3).describe('Name servers (up to 3, as resolv.conf allows)'),
  search: z.array(z.hostname()).max(6).optional().describe('DNS search domains'),
  vlan: Vlan.optional(),
});

const Network = z
  .discriminatedUnion('mode', [Keep, Dhcp, Static])
  .superRefine((n, ctx) => {
    if (n.mode === 'static' && !gatewayOnLink(n.address, n.gateway)) {
      ctx.addIssue({ code: 'custom', path: ['gateway'], message: `the gateway ${n.gateway} is not inside ${n.address}: the box would lose its route` });
    }
  })
  .describe('How the box gets its address: as it is (keep), DHCP, or a static address with gateway and DNS');

const Time = z
  .strictObject({
    timezone: z
      .string()
      .refine(validTimezone, { error: 'not a time zone name from the tz database, e.g. UTC or Europe/Berlin' })
      .default('UTC')
      .describe('tz database name, e.g. Europe/Berlin'),
    ntp: z.array(Host).max(8).default([]).describe('NTP servers; when none answers, the box clock is set from the laptop'),
  })
  .describe('Time zone and time sources');

const KeyRef = z
  .union([
    z.literal('technician'),
    z.string().regex(PUBLIC_KEY_LINE, { error: 'a key is `technician` (this laptop\'s technician key) or one OpenSSH public key line "ssh-ed25519 AAAA… comment"' }),
  ])
  .describe('`technician` for the technician key of the data folder in use, or an OpenSSH public key line');

const User = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'a user name is up to 32 lowercase letters, digits, _ and -, starting with a letter or _' }),
  keys: z.array(KeyRef).max(32).default([]).describe('Keys that may log in as this user (appended to ~/.ssh/authorized_keys)'),
  password: SecretRef.optional().describe('Set the password from the keychain (only useful with passwordLogin: true or the serial console)'),
});

const Taint = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?(=[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?:(NoSchedule|PreferNoSchedule|NoExecute)$/, {
  error: 'a taint is key[=value]:NoSchedule|PreferNoSchedule|NoExecute',
});

const Mirror = z.strictObject({
  endpoints: z
    .array(z.url({ protocol: /^https?$/ }))
    .min(1)
    .max(8)
    .describe('Registry URLs tried in order, e.g. https://registry.site.local:5000'),
});

const Registries = z
  .strictObject({
    mirrors: z
      .record(z.string().regex(/^(\*|[A-Za-z0-9.-]+(:[0-9]{1,5})?)$/, { error: 'a registry name is a host[:port] like docker.io, or *' }), Mirror)
      .default({})
      .describe('Per registry (docker.io, ghcr.io, * for all), the mirrors to pull from: written to /etc/rancher/k3s/registries.yaml'),
  })
  .describe('Container registry mirrors');

const K3sVersion = z
  .string()
  .regex(/^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$/, { error: 'a k3s version looks like v1.30.6+k3s1' })
  .describe('The k3s release, as its tag: v1.30.6+k3s1. Installed from the artifact cache (fieldlink artifacts add).');

const DISABLE = ['traefik', 'servicelb', 'local-storage', 'metrics-server', 'coredns'] as const;

const k3sCommon = {
  version: K3sVersion,
  nodeLabels: Labels.default({}).describe('Labels on this node (k3s --node-label)'),
  nodeTaints: z.array(Taint).max(32).default([]).describe('Taints on this node (k3s --node-taint)'),
  registries: Registries.default({ mirrors: {} }),
};

const K3sServer = z.strictObject({
  role: z.literal('server'),
  ...k3sCommon,
  token: SecretRef.optional().describe('The cluster token from the keychain; k3s makes one when absent'),
  disable: z.array(z.enum(DISABLE)).default([]).describe('Packaged components not to deploy (k3s --disable)'),
});

const K3sAgent = z.strictObject({
  role: z.literal('agent'),
  ...k3sCommon,
  serverUrl: z.url({ protocol: /^https$/, error: 'the server URL is https://HOST:6443' }).describe('The server this agent joins, e.g. https://edge-site12-a:6443'),
  token: SecretRef.describe("The join token from the keychain (the server's /var/lib/rancher/k3s/server/node-token)"),
});

const K3s = z.discriminatedUnion('role', [K3sServer, K3sAgent]).describe('k3s: a server, or an agent joining a server');

const ObjectName = z.string().regex(DNS_LABEL, { error: 'a name is up to 63 lowercase letters, digits and -' });

const Manifest = z
  .strictObject({
    name: ObjectName.describe('The file name in /var/lib/rancher/k3s/server/manifests (without .yaml)'),
    file: z.string().regex(RELATIVE_PATH, { error: "a path relative to the profile's folder, without .." }).optional().describe('A YAML file beside the profile'),
    content: z
      .string()
      .max(1024 * 1024)
      .optional()
      .describe('The manifest itself, inline'),
  })
  .refine((m) => (m.file === undefined) !== (m.content === undefined), { error: 'give exactly one of file or content' });

const HelmChart = z
  .strictObject({
    name: ObjectName,
    namespace: ObjectName.default('kube-system').describe('Where the HelmChart resource lives (k3s watches kube-system)'),
    targetNamespace: ObjectName.default('default').describe('Where the chart is installed'),
    file: z.string().regex(RELATIVE_PATH).optional().describe('A chart archive (.tgz) beside the profile: sent inline (chartContent), no internet needed'),
    chart: z.string().max(200).optional().describe('A chart name in repo (needs the repo reachable from the box)'),
    repo: z.url({ protocol: /^(https?|oci)$/ }).optional(),
    version: z.string().max(64).optional(),
    values: z.record(z.string(), z.unknown()).default({}).describe('Chart values (valuesContent); secrets never go here'),
  })
  .refine((h) => (h.file === undefined) !== (h.chart === undefined), { error: 'give exactly one of file (an archive, airgap) or chart (from repo)' });

const Workloads = z
  .strictObject({
    manifests: z.array(Manifest).max(64).default([]),
    helmCharts: z.array(HelmChart).max(32).default([]).describe('Helm charts as k3s HelmChart resources in the auto-deploy folder'),
    images: z
      .array(z.string().regex(ARCH_PATH, { error: "a path relative to the profile's folder, without .., where {arch} stands for the box's arch" }))
      .max(64)
      .default([])
      .describe("Image archives (.tar, .tar.zst) for the workloads, beside the profile; {arch} is replaced by the box's arch"),
  })
  .describe("What runs on the node: placed in k3s's auto-deploy folder, images imported from archives (no registry needed)");

export const Profile = z
  .strictObject({
    apiVersion: z.literal('fieldlink/v1'),
    kind: z.literal('Profile'),
    name: ObjectName.describe("The profile's name, shown in the app and the audit log"),
    description: z.string().max(2000).optional(),
    site: Site,
    hostname: z
      .string()
      .regex(HOSTNAME_PATTERN, { error: 'a hostname pattern is lowercase letters, digits, - and {site}, {serial} or {serial:N}' })
      .default('edge-{site}-{serial}')
      .describe("The box's hostname, from {site}, {serial} and {serial:N} (last N characters of the serial)"),
    network: Network.default({ mode: 'dhcp' }),
    time: Time.default({ timezone: 'UTC', ntp: [] }),
    users: z.array(User).min(1).max(16).describe('Users and the keys that may log in as them'),
    passwordLogin: z.boolean().default(false).describe('Keep SSH password login on; off by default, once a key is proven to work'),
    k3s: K3s,
    workloads: Workloads.default({ manifests: [], helmCharts: [], images: [] }),
  })
  .superRefine((p, ctx) => {
    // Turning password login off with no key to log in with would lock everyone out of the box.
    if (!p.passwordLogin && !p.users.some((u) => u.keys.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['users'], message: 'password login goes off, so at least one user needs a key (e.g. keys: [technician])' });
    }
  })
  .describe('A Fieldlink provisioning profile: the desired state of an edge box');
export type Profile = z.infer<typeof Profile>;

/** The JSON Schema editors use: the input shape (defaults make fields optional), draft-07 for yaml-language-server. */
export function profileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Profile, { io: 'input', target: 'draft-07', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://fieldlink.dev/schemas/profile.schema.json', title: 'Fieldlink profile' };
}

/**
 * The hostname a box gets: the pattern with the site id and the box's serial (lowercased, anything
 * but letters and digits made a -). The result must be a valid host name: a serial that makes it
 * too long or empty is an error naming the box, not a truncated name that might clash with another.
 */
export function hostnameFor(profile: Pick<Profile, 'hostname' | 'site'>, box: { serial: string }): string {
  const serial = box.serial
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = profile.hostname.replace(/\{(site|serial)(?::([0-9]+))?\}/g, (_, what: string, n?: string) => {
    if (what === 'site') return profile.site.id;
    return n ? serial.slice(-Number(n)) : serial;
  });
  if (!DNS_LABEL.test(name) || serial === '') {
    throw new FieldlinkError(
      'BAD_REQUEST',
      `The hostname pattern "${profile.hostname}" gives "${name.slice(0, 80)}" for serial ${serial.slice(0, 40) || '(none)'}, which is not a valid host name (1-63 letters, digits and -, not starting or ending with -). Shorten the pattern, e.g. with {serial:6}.`,
    );
  }
  return name;
}

function validTimezone(tz: string): boolean {
  if (!/^[A-Za-z0-9_+\-/]{1,64}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** True when an IPv4 gateway is inside the address's subnet; IPv6 gateways are often link-local, so they pass. */
function gatewayOnLink(cidr: string, gateway: string): boolean {
  const [addr, bits] = cidr.split('/');
  const a = ipv4ToInt(addr!);
  const g = ipv4ToInt(gateway);
  if (a === null || g === null) return true;
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (a & mask) >>> 0 === (g & mask) >>> 0;
}

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
}

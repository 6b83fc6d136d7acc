import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import { formatProblem, hostnameFor, loadProfile, parseProfile, profileJsonSchema, type ProfileProblem } from './index.ts';
import { PROFILE_SCHEMA_FILE } from './schema-file.ts';

const EXAMPLE = fileURLToPath(new URL('../../../assets/profiles/example.yaml', import.meta.url));
const TOKEN = `K10${'ab'.repeat(32)}::server:0123456789abcdef`;

const base = (over = ''): string =>
  [
    'apiVersion: fieldlink/v1',
    'kind: Profile',
    'name: t',
    'site: { id: s1 }',
    'users:',
    '  - name: root',
    '    keys: [technician]',
    'k3s:',
    '  role: server',
    '  version: v1.30.6+k3s1',
    over,
  ].join('\n');

function problems(text: string): ProfileProblem[] {
  const r = parseProfile(text, 'p.yaml');
  if (r.ok) throw new Error('expected the profile to be refused, but it was accepted');
  return r.problems;
}

describe('the example profile', () => {
  it('is valid, provisions a k3s server and installs the technician key', () => {
    const p = loadProfile(EXAMPLE);
    expect(p.k3s.role).toBe('server');
    expect(p.users).toEqual([{ name: 'root', keys: ['technician'] }]);
    expect(p.passwordLogin).toBe(false);
  });

  it('names the published schema for editors', () => {
    expect(fs.readFileSync(EXAMPLE, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./profile.schema.json');
  });
});

describe('the published JSON Schema', () => {
  it('is exactly what the zod schema generates (regenerate with node electron/core/provision/schema-file.ts)', () => {
    const committed = JSON.parse(fs.readFileSync(PROFILE_SCHEMA_FILE, 'utf8')) as unknown;
    expect(committed, 'assets/profiles/profile.schema.json drifted from profile.ts: run node electron/core/provision/schema-file.ts').toEqual(profileJsonSchema());
  });

  it('refuses unknown fields, so editors flag a misspelt one', () => {
    expect(profileJsonSchema()).toMatchObject({ additionalProperties: false, required: expect.arrayContaining(['site', 'users', 'k3s']) });
  });
});

describe('profile problems point at the line, column and field', () => {
  it('a misspelt field: the key itself', () => {
    const [p] = problems(base('hostnme: edge-{serial}'));
    expect(formatProblem(p!)).toBe('p.yaml:11:1 hostnme: unknown field "hostnme"');
  });

  it('a wrong value: the value, with the rule it broke', () => {
    const [p] = problems(base().replace('v1.30.6+k3s1', '1.30'));
    expect(p).toMatchObject({ line: 10, col: 12, path: 'k3s.version' });
    expect(p!.message).toMatch(/expected string/);
    const [q] = problems(base().replace('v1.30.6+k3s1', 'latest'));
    expect(q).toMatchObject({ line: 10, col: 12, path: 'k3s.version', message: 'a k3s version looks like v1.30.6+k3s1' });
  });

  it('a missing field: the object that should hold it', () => {
    const [p] = problems(base().replace('  role: server', '  role: agent'));
    expect(p).toMatchObject({ line: 8, col: 1, path: 'k3s.serverUrl', message: 'required: expected string' });
  });

  it('a static address whose gateway is off the subnet', () => {
    const ps = problems(base('network: { mode: static, address: 10.0.0.5/24, gateway: 10.1.0.1, dns: [10.0.0.1] }'));
    expect(ps).toEqual([expect.objectContaining({ path: 'network.gateway', line: 11, message: expect.stringMatching(/not inside 10\.0\.0\.5\/24/) })]);
  });

  it('password login off with no key anywhere would lock the box: refused', () => {
    const ps = problems(base().replace('keys: [technician]', 'keys: []'));
    expect(ps[0]).toMatchObject({ path: 'users', line: 6, message: expect.stringMatching(/at least one user needs a key/) });
  });

  it('YAML syntax errors and duplicate keys', () => {
    expect(problems('a: [1\n')[0]).toMatchObject({ line: 2, path: '', message: expect.stringMatching(/flow sequence/i) });
    expect(problems(base('name: again'))[0]).toMatchObject({ line: 11, message: expect.stringMatching(/unique/i) });
  });

  it('reports every problem at once, in file order', () => {
    const ps = problems(base('hostnme: x\nnetwork: { mode: wifi }').replace('name: t', 'name: T'));
    expect(ps.map((p) => p.path)).toEqual(['name', 'hostnme', 'network.mode']);
  });

  it('an alias bomb is refused, not expanded', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(problems(bomb)[0]!.message).toMatch(/alias/i);
  });
});

describe('inline secrets are refused, pointing at the line, never echoing the value', () => {
  const noValue = (ps: ProfileProblem[]) => expect(JSON.stringify(ps)).not.toContain('0123456789abcdef');

  it('a literal join token where a reference is expected', () => {
    const ps = problems(base(`  token: ${TOKEN}`));
    expect(ps).toEqual([expect.objectContaining({ line: 11, col: 10, path: 'k3s.token', message: expect.stringMatching(/k3s join token.*\{ secret: "NAME" \}/) })]);
    noValue(ps);
  });

  it('any string where a reference is expected, even one that does not look like a token', () => {
    const ps = problems(base().replace('    keys: [technician]', '    keys: [technician]\n    password: 0123456789abcdef'));
    expect(ps).toEqual([expect.objectContaining({ line: 8, path: 'users.0.password', message: expect.stringMatching(/inline secret/) })]);
    noValue(ps);
  });

  it('a k3s token or a private key anywhere: Helm values, manifests, comments', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----';
    const text = base(
      [
        'workloads:',
        '  helmCharts:',
        '    - name: app',
        '      chart: app',
        `      values: { deployKey: "${pem}", db: { adminPassword: 0123456789abcdef } }`,
        `# old token: ${TOKEN}`,
      ].join('\n'),
    );
    const ps = problems(text);
    expect(ps.map((p) => [p.line, p.path])).toEqual([
      [15, 'workloads.helmCharts.0.values.deployKey'],
      [15, 'workloads.helmCharts.0.values.db.adminPassword'],
      [16, ''],
    ]);
    noValue(ps);
  });

  it('accepts a reference', () => {
    const r = parseProfile(base('  token: { secret: "k3s-token:site-12" }'), 'p.yaml');
    expect(r.ok && r.profile.k3s.token).toEqual({ secret: 'k3s-token:site-12' });
  });
});

describe('loadProfile', () => {
  it('throws one BAD_REQUEST listing every problem as file:line:col field: message', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-profile-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, base('hostnme: x'));
    const err = (() => {
      try {
        loadProfile(file);
      } catch (e) {
        return e;
      }
    })() as FieldlinkError;
    expect(err).toBeInstanceOf(FieldlinkError);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toContain(`${file}:11:1 hostnme: unknown field "hostnme"`);
    expect(() => loadProfile(path.join(dir, 'none.yaml'))).toThrow(/no such file/);
  });
});

describe('hostnameFor', () => {
  const profile = { hostname: 'edge-{site}-{serial:6}', site: { id: 'lab', labels: {} } };
  it('fills the pattern from the site and the serial, lowercased', () => {
    expect(hostnameFor(profile, { serial: 'FL25X227YDN' })).toBe('edge-lab-227ydn');
    expect(hostnameFor({ ...profile, hostname: 'edge-{site}-{serial}' }, { serial: 'SN 12/34' })).toBe('edge-lab-sn-12-34');
  });
  it('refuses a name that is not a valid host name rather than truncating it', () => {
    expect(() => hostnameFor({ ...profile, hostname: '{serial}' }, { serial: 'X'.repeat(70) })).toThrow(/not a valid host name.*\{serial:6\}/);
    expect(() => hostnameFor(profile, { serial: '---' })).toThrow(/not a valid host name/);
  });
});

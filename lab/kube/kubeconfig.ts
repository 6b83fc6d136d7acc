import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { BoxCerts } from './certs.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The admin kubeconfig exactly as k3s writes /etc/rancher/k3s/k3s.yaml. */
export function renderKubeconfig(certs: BoxCerts, server = 'https://127.0.0.1:6443'): string {
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(certs.serverCa), server }, name: 'default' }],
    contexts: [{ context: { cluster: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: 'default',
        // k3s ships the client CA after the leaf, so the chain verifies on its own.
        user: { 'client-certificate-data': b64(certs.adminCert + certs.clientCa), 'client-key-data': b64(certs.adminKey) },
      },
    ],
  });
}

/** Written through a temp file and rename so a reader never sees half a kubeconfig. */
export async function writeKubeconfig(file: string, content: string, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, { mode });
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { FieldlinkError } from '../../shared/errors.ts';

/**
 * Per-box PKI minted with the openssl CLI, laid out as k3s lays out server/tls: a server CA that
 * signs the serving cert, a client CA that signs the admin cert, ECDSA P-256 keys. Files are kept
 * under the box's k3s/tls so a hub restart serves the same certs and old kubeconfigs keep working.
 */

export interface BoxCerts {
  serverCa: string;
  clientCa: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
}

const OPENSSL_TIMEOUT_MS = 20_000;
const TEN_YEARS_DAYS = '3650';

/** The SANs k3s puts on its serving certificate, plus the box's own names. */
export function k3sSans(hostname: string, ip: string): string[] {
  const dns = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', hostname];
  const ips = ['127.0.0.1', '::1', '10.43.0.1', ip];
  return [...new Set(dns)].map((d) => `DNS:${d}`).concat([...new Set(ips)].map((i) => `IP:${i}`));
}

function openssl(args: string[], cwd: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS, signal, maxBuffer: 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new FieldlinkError('INTERNAL', `openssl ${args[0]} failed: ${String(stderr).slice(0, 500)}`, { args }, { cause: err }));
      else resolve();
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function makeCa(dir: string, base: string, cn: string, signal?: AbortSignal): Promise<void> {
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`], dir, signal);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      `${base}.key`,
      '-sha256',
      '-days',
      TEN_YEARS_DAYS,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      '-out',
      `${base}.crt`,
    ],
    dir,
    signal,
  );
}

async function makeLeaf(dir: string, base: string, ca: string, subj: string, ext: string, signal?: AbortSignal): Promise<void> {
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`], dir, signal);
  await openssl(['req', '-new', '-key', `${base}.key`, '-subj', subj, '-out', `${base}.csr`], dir, signal);
  await fs.writeFile(path.join(dir, `${base}.ext`), ext);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-sha256',
      '-days',
      TEN_YEARS_DAYS,
      '-extfile',
      `${base}.ext`,
      '-out',
      `${base}.crt.tmp`,
    ],
    dir,
    signal,
  );
  await fs.rename(path.join(dir, `${base}.crt.tmp`), path.join(dir, `${base}.crt`));
  await fs.rm(path.join(dir, `${base}.csr`), { force: true });
}

/**
 * Loads the box's certs, minting what is missing. The serving cert is re-issued when the box's
 * hostname or IP changed (k3s's dynamic listener does the same); the CAs never change.
 */
export async function ensureBoxCerts(tlsDir: string, hostname: string, ip: string, signal?: AbortSignal): Promise<BoxCerts> {
  await fs.mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const stamp = Math.floor(Date.now() / 1000);
  if (!(await exists(path.join(tlsDir, 'server-ca.crt')))) await makeCa(tlsDir, 'server-ca', `k3s-server-ca@${stamp}`, signal);
  if (!(await exists(path.join(tlsDir, 'client-ca.crt')))) await makeCa(tlsDir, 'client-ca', `k3s-client-ca@${stamp}`, signal);

  const sans = k3sSans(hostname, ip).join(',');
  const sansFile = path.join(tlsDir, 'serving-kube-apiserver.sans');
  const oldSans = (await exists(sansFile)) ? await fs.readFile(sansFile, 'utf8') : '';
  if (oldSans !== sans || !(await exists(path.join(tlsDir, 'serving-kube-apiserver.crt')))) {
    await makeLeaf(
      tlsDir,
      'serving-kube-apiserver',
      'server-ca',
      '/O=k3s/CN=k3s',
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`,
      signal,
    );
    await fs.writeFile(sansFile, sans);
  }
  if (!(await exists(path.join(tlsDir, 'client-admin.crt')))) {
    await makeLeaf(
      tlsDir,
      'client-admin',
      'client-ca',
      '/O=system:masters/CN=system:admin',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
      signal,
    );
  }
  const read = (f: string) => fs.readFile(path.join(tlsDir, f), 'utf8');
  const [serverCa, clientCa, serverCert, serverKey, adminCert, adminKey] = await Promise.all([
    read('server-ca.crt'),
    read('client-ca.crt'),
    read('serving-kube-apiserver.crt'),
    read('serving-kube-apiserver.key'),
    read('client-admin.crt'),
    read('client-admin.key'),
  ]);
  return { serverCa, clientCa, serverCert, serverKey, adminCert, adminKey };
}

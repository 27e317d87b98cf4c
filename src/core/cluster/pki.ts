// The cluster's certificates, made with the system openssl (argv only): one CA per cluster
// (`nova cluster init`), and per host one EC P-256 key and certificate it uses both as etcd
// member (server and peer) and as etcd client. The CA key stays on the host that ran init.
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../sys/runner.js';
import { writeFileAtomic } from '../sys/atomic.js';

export interface HostCert {
  cert: string;
  key: string;
}

const CA_DAYS = '3650';
/** Host certificates live a year; the agent renews one with less than RENEW_BEFORE_DAYS left. */
export const HOST_CERT_DAYS = 365;
export const RENEW_BEFORE_DAYS = 30;

export const pkiFiles = (dir: string) => ({ ca: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'host.crt'), key: join(dir, 'host.key') });

/** A new CA for `cluster` in `dir` (ca.crt, ca.key 0600). */
export async function createCa(runner: Runner, dir: string, cluster: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = pkiFiles(dir);
  await runner.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f.caKey, '-out', f.ca, '-days', CA_DAYS, '-subj', `/CN=nova-cluster-${cluster}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await chmod(f.caKey, 0o600);
}

/** A key and certificate for host `name` at `address`, signed by the CA in `caDir` (returned as PEM, not stored). */
export async function issueHostCert(runner: Runner, caDir: string, name: string, address: string, days = HOST_CERT_DAYS): Promise<HostCert> {
  const f = pkiFiles(caDir);
  const tmp = await mkdtemp(join(caDir, '.issue-'));
  try {
    const key = join(tmp, 'h.key');
    const csr = join(tmp, 'h.csr');
    const crt = join(tmp, 'h.crt');
    const ext = join(tmp, 'ext.cnf');
    await writeFile(ext, `subjectAltName=IP:${address},IP:127.0.0.1,DNS:localhost,DNS:${name}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n`, { mode: 0o600 });
    await runner.run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
    await runner.run(['openssl', 'x509', '-req', '-in', csr, '-CA', f.ca, '-CAkey', f.caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(days), '-extfile', ext, '-out', crt]);
    return { cert: await readFile(crt, 'utf8'), key: await readFile(key, 'utf8') };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Stores this host's CA certificate, key and certificate (keys 0600) in `dir`, and the CA key when given (every member holds it: any member issues tokens and renews its certificate). */
export async function storeHostPki(dir: string, ca: string, host: HostCert, caKey?: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = pkiFiles(dir);
  await writeFileAtomic(f.ca, ca, { mode: 0o644 });
  if (caKey) await writeFileAtomic(f.caKey, caKey, { mode: 0o600 });
  await writeFileAtomic(f.key, host.key, { mode: 0o600 });
  await writeFileAtomic(f.cert, host.cert, { mode: 0o644 });
}

export async function readHostPki(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = pkiFiles(dir);
  const [ca, cert, key] = await Promise.all([readFile(f.ca, 'utf8'), readFile(f.cert, 'utf8'), readFile(f.key, 'utf8')]);
  return { ca, cert, key };
}

/** Serial and validity of a PEM certificate. */
export function certInfo(pem: string): { serial: string; notBefore: number; notAfter: number } {
  const x = new X509Certificate(pem);
  return { serial: x.serialNumber, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) };
}

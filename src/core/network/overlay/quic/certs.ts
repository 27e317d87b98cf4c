import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../../shared/errors.js';
import type { RunFn } from '../driver.js';

// The QUIC overlay's TLS material on this host, made with the openssl CLI (no rcgen in Debian):
// a per-overlay CA and this host's certificate for that overlay, signed by it. Keys are P-256
// PKCS#8, 0600 in a 0700 folder, never leave the host. The host certificate's SHA-256 fingerprint
// is this host's identity: peers pin it ("<fingerprint>@<host>:<port>"). host.pem holds the
// certificate followed by the CA, the chain the tunnel presents (native/quic-tunnel/src/tls.rs).

/** The DNS name in every host certificate (the tunnel's CERT_NAME). */
export const CERT_NAME = 'nova-overlay';
const DAYS = '3650';

export interface OverlayTls {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  fingerprint: string;
}

export const tlsFiles = (dir: string): Omit<OverlayTls, 'fingerprint'> => ({ dir, ca: join(dir, 'ca.pem'), cert: join(dir, 'host.pem'), key: join(dir, 'host.key') });

/** Lowercase hex SHA-256 of the first certificate's DER in a PEM text. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export const isFingerprint = (s: string): boolean => /^[0-9a-f]{64}$/i.test(s);

async function exists(p: string): Promise<boolean> {
  return readFile(p).then(
    () => true,
    () => false,
  );
}

async function openssl(run: RunFn, args: string[]): Promise<void> {
  const r = await run(['openssl', ...args], { allowFailure: true });
  if (r.exitCode !== 0) throw new NovaError('HOST_UNSUPPORTED', `openssl ${args[0]} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}; install openssl (Debian: apt-get install openssl)`);
}

/**
 * Makes (once) the overlay CA and this host's certificate under `dir`; later calls reuse them.
 * `label` names the overlay in the CA's subject.
 */
export async function ensureOverlayTls(run: RunFn, dir: string, label: string): Promise<OverlayTls> {
  const f = tlsFiles(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if (!(await exists(f.ca)) || !(await exists(join(dir, 'ca.key')))) {
    const cn = `/CN=nova overlay ${label.replace(/[^A-Za-z0-9 ._-]/g, '_')}`;
    await openssl(run, ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', f.ca, '-days', DAYS, '-subj', cn, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await rm(f.cert, { force: true });
  }
  if (!(await exists(f.cert)) || !(await exists(f.key))) await issueHostCert(run, f);
  for (const k of [join(dir, 'ca.key'), f.key]) await chmod(k, 0o600);
  return { ...f, fingerprint: fingerprintOf(await readFile(f.cert, 'utf8')) };
}

async function issueHostCert(run: RunFn, f: Omit<OverlayTls, 'fingerprint'>): Promise<void> {
  const csr = join(f.dir, 'host.csr');
  const ext = join(f.dir, 'host.ext');
  const leaf = join(f.dir, 'host.leaf.pem');
  await openssl(run, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f.key]);
  await chmod(f.key, 0o600);
  await openssl(run, ['req', '-new', '-key', f.key, '-subj', `/CN=${CERT_NAME}`, '-out', csr]);
  await writeFile(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${CERT_NAME}\n`);
  await openssl(run, ['x509', '-req', '-in', csr, '-CA', f.ca, '-CAkey', join(f.dir, 'ca.key'), '-set_serial', `0x${randomSerial()}`, '-days', DAYS, '-extfile', ext, '-out', leaf]);
  await writeFile(f.cert, (await readFile(leaf, 'utf8')) + (await readFile(f.ca, 'utf8')), { mode: 0o644 });
  for (const p of [csr, ext, leaf]) await rm(p, { force: true });
}

function randomSerial(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .replace(/^[89a-f]/, '1');
}

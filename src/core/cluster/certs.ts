// Host certificate rotation: `nova cluster rotate-certs` now, and the cluster agent renews this
// host's certificate by itself when less than RENEW_BEFORE_DAYS are left. Every member holds the
// cluster CA key (the join token carries it), so a host signs its own new certificate: a new key,
// the same name and address. etcd reads its certificate files again for every new TLS connection,
// so the member is not restarted; this engine's etcd client switches to the new pair at once.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import type { ClusterConfig } from './config.js';
import { clusterDirs } from './config.js';
import type { EtcdClient } from './etcd.js';
import { certInfo, HOST_CERT_DAYS, issueHostCert, pkiFiles, readHostPki, RENEW_BEFORE_DAYS, storeHostPki } from './pki.js';

const DAY = 86_400_000;

export interface Rotation {
  name: string;
  serial: string;
  notAfter: number;
  previous: { serial: string; notAfter: number };
}

/** This host's certificate's serial and validity. */
export async function hostCertInfo(engine: EngineContext) {
  return certInfo(await readFile(pkiFiles(clusterDirs(engine.paths).pki).cert, 'utf8'));
}

/** A new key and certificate for this host (valid `days`), in use by its member and this engine's client when it returns. */
export async function rotateHostCert(engine: EngineContext, config: ClusterConfig, client: EtcdClient, days = HOST_CERT_DAYS): Promise<Rotation> {
  const d = clusterDirs(engine.paths);
  const f = pkiFiles(d.pki);
  if (config.mode !== 'managed' || !config.address) throw new NovaError('INVALID_INPUT', 'this host uses an etcd Nova does not run: its certificates are that etcd\'s operator\'s (give new ones with `nova cluster init --etcd … --etcd-cert --etcd-key` after `leave`)', { field: 'cluster' });
  if (!existsSync(f.caKey)) throw new NovaError('PERMISSION', `this host has no copy of the cluster CA key (${f.caKey}; hosts that joined with a token from an older Nova lack it): rotate on a host that has it, or leave and join again`, { field: 'cluster' });
  const before = await hostCertInfo(engine);
  const pki = await readHostPki(d.pki);
  const next = await issueHostCert(engine.runner, d.pki, config.name, config.address, days);
  await storeHostPki(d.pki, pki.ca, next);
  client.reloadTls({ ca: pki.ca, ...next });
  const after = certInfo(next.cert);
  return { name: config.name, serial: after.serial, notAfter: after.notAfter, previous: { serial: before.serial, notAfter: before.notAfter } };
}

/** Renews this host's certificate when it has less than RENEW_BEFORE_DAYS left (and this host holds the CA key). */
export async function renewIfDue(engine: EngineContext, config: ClusterConfig, client: EtcdClient): Promise<Rotation | undefined> {
  if (config.mode !== 'managed' || !existsSync(pkiFiles(clusterDirs(engine.paths).pki).caKey)) return undefined;
  const { notAfter } = await hostCertInfo(engine);
  if (notAfter - Date.now() > RENEW_BEFORE_DAYS * DAY) return undefined;
  return rotateHostCert(engine, config, client);
}

import { createHash } from 'node:crypto';
import { NovaError } from '../../shared/errors.js';
import type { Runner } from '../sys/runner.js';

// Host keys: scanned with ssh-keyscan (no login), shown as OpenSSH fingerprints, pinned in Nova's
// own known_hosts under the alias `nova-host-NAME` (ssh -o HostKeyAlias), so a key that changes
// later refuses every connection to that host until it is removed and added again.

export interface ScannedKey {
  type: string;
  /** The base64 key blob. */
  key: string;
  fingerprint: string;
}

/** SHA256:… as `ssh-keygen -lf` prints it (base64 of the blob's SHA-256, no padding). */
export const fingerprintOf = (blob: string): string =>
  `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;

export const keyAlias = (host: string): string => `nova-host-${host}`;

/** Parses ssh-keyscan output ("host type key" lines; comments start with #). */
export function parseKeyscan(text: string): ScannedKey[] {
  const keys: ScannedKey[] = [];
  for (const line of text.split('\n')) {
    const [, type, key] = line.trim().split(/\s+/);
    if (!line.trim() || line.startsWith('#') || !type || !key || !/^[A-Za-z0-9+/=]+$/.test(key)) continue;
    if (!keys.some((k) => k.key === key)) keys.push({ type, key, fingerprint: fingerprintOf(key) });
  }
  return keys;
}

export async function scanKeys(runner: Runner, address: string, port: number): Promise<ScannedKey[]> {
  const r = await runner.run(['ssh-keyscan', '-T', '5', '-p', String(port), '--', address], { allowFailure: true, timeoutMs: 15_000 });
  const keys = parseKeyscan(r.stdout);
  if (!keys.length) {
    throw new NovaError('NOT_FOUND', `no SSH server answered on ${address} port ${port}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n').pop()})` : ''}: check the address, the port and that sshd runs there`, { field: 'url' });
  }
  return keys;
}

/** known_hosts lines pinning `keys` for `host`. */
export const knownHostsLines = (host: string, keys: { type: string; key: string }[]): string[] => keys.map((k) => `${keyAlias(host)} ${k.type} ${k.key}`);

// The SSH keys behind `nova vm ssh`: one client key per Nova home (<data>/ssh/id_ed25519, made
// with ssh-keygen on first use) whose public half every cloud-init seed injects, and one host key
// per VM (<vm dir>/ssh/ssh_host_ed25519_key) that the seed installs in the guest, so Nova knows
// the guest's host key before the first connection and pins it (no trust-on-first-use).
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { NovaPaths } from '../sys/paths.js';
import type { Runner } from '../sys/runner.js';
import { findBinary } from '../sys/which.js';

export interface KeyPair {
  /** The private key file (0600). */
  path: string;
  /** The public key line ("ssh-ed25519 AAAA… comment"). */
  public: string;
}

export const clientKeyPath = (paths: NovaPaths) => join(paths.data, 'ssh', 'id_ed25519');
export const hostKeyPath = (vmDir: string) => join(vmDir, 'ssh', 'ssh_host_ed25519_key');
export const knownHostsPath = (vmDir: string) => join(vmDir, 'ssh', 'known_hosts');
/** The name the guest's host key is pinned under: stable when its address changes. */
export const hostKeyAlias = (vm: string) => `nova-vm-${vm}`;

async function keygen(runner: Runner, path: string, comment: string): Promise<KeyPair> {
  if (existsSync(path) && existsSync(`${path}.pub`)) return { path, public: (await readFile(`${path}.pub`, 'utf8')).trim() };
  const bin = await findBinary('ssh-keygen');
  if (!bin) throw new NovaError('HOST_UNSUPPORTED', 'ssh keys for cloud-init need ssh-keygen: install OpenSSH (Debian: apt install openssh-client)', { field: 'cloud_init' });
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  // A half-written pair from an interrupted run is replaced; ssh-keygen refuses to overwrite.
  await Promise.all([rm(path, { force: true }), rm(`${path}.pub`, { force: true })]);
  await runner.run([bin, '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { timeoutMs: 30_000 });
  await chmod(path, 0o600);
  return { path, public: (await readFile(`${path}.pub`, 'utf8')).trim() };
}

/** This Nova home's client key (made once). */
export const ensureClientKey = (runner: Runner, paths: NovaPaths) => keygen(runner, clientKeyPath(paths), 'nova');

/**
 * The VM's host key (made once) and a known_hosts file that pins it under hostKeyAlias(vm). The
 * private key goes into the seed ISO (0600, first boot only).
 */
export async function ensureHostKey(runner: Runner, vmDir: string, vm: string): Promise<KeyPair & { privateText: string }> {
  const pair = await keygen(runner, hostKeyPath(vmDir), hostKeyAlias(vm));
  const [type, blob] = pair.public.split(/\s+/);
  await writeFile(knownHostsPath(vmDir), `${hostKeyAlias(vm)} ${type} ${blob}\n`, { mode: 0o600 });
  return { ...pair, privateText: await readFile(pair.path, 'utf8') };
}

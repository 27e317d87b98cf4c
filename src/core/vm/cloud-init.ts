// cloud-init NoCloud seeds: `[vm.x.cloud_init]` → meta-data, user-data and network-config on a
// `cidata` ISO (xorriso, genisoimage or cloud-localds, whichever the host has), attached as a CD
// at the VM's first boot. The YAML is written here with JSON-quoted scalars (valid YAML).
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { CloudInitSpec } from '../../shared/schemas/novafile.js';
import type { Runner } from '../sys/runner.js';
import { findBinary } from '../sys/which.js';

export interface SeedFiles {
  'meta-data': string;
  'user-data': string;
  'network-config': string;
}

const q = (s: string) => JSON.stringify(s);

/** What Nova adds to a generated #cloud-config (see ssh-keys.ts) and the NICs' MACs. */
export interface SeedExtras {
  /** Nova's own client key: `nova vm ssh` logs in with it. */
  novaKey?: string;
  /** The guest's SSH host key, made and pinned by Nova. */
  hostKey?: { private: string; public: string };
  /** The MAC of each NIC, in order: each gets DHCP. */
  macs?: string[];
}

/**
 * network-config v2: DHCP on each NIC matched by its MAC. Netplan, ENI and networkd renderers all
 * resolve a MAC match to the guest's own interface name (a name glob only works with netplan).
 */
function networkConfig(macs: string[]): string {
  const nics = macs.map((m, i) => `  nic${i}:\n    match:\n      macaddress: ${q(m.toLowerCase())}\n    dhcp4: true\n`);
  return `version: 2\nethernets:\n${nics.join('')}`;
}

/** The three NoCloud files. `userDataFile`: the text of `user_data = "file.yaml"` when given. */
export function seedFiles(vm: { name: string; uuid: string }, ci: CloudInitSpec, userDataFile?: string, extras: SeedExtras = {}): SeedFiles {
  const hostname = ci.hostname ?? vm.name;
  const meta = `instance-id: ${q(`nova-${vm.uuid}`)}\nlocal-hostname: ${q(hostname)}\n`;
  // Without MACs: the first NIC by DHCP (cloud-init's own fallback when network-config says so).
  const network = extras.macs?.length ? networkConfig(extras.macs) : 'version: 2\nethernets:\n  nic0:\n    match:\n      name: "e*"\n    dhcp4: true\n';
  if (userDataFile !== undefined) return { 'meta-data': meta, 'user-data': userDataFile, 'network-config': network };
  const lines = ['#cloud-config', `hostname: ${q(hostname)}`];
  const keys = [...ci.ssh_authorized_keys, ...(extras.novaKey && !ci.ssh_authorized_keys.includes(extras.novaKey) ? [extras.novaKey] : [])];
  if (ci.user) {
    lines.push('users:', `  - name: ${q(ci.user)}`, '    shell: "/bin/bash"', '    sudo: "ALL=(ALL) NOPASSWD:ALL"', '    groups: ["sudo", "wheel"]', '    lock_passwd: true');
    if (keys.length) lines.push('    ssh_authorized_keys:', ...keys.map((k) => `      - ${q(k)}`));
  } else if (keys.length) {
    lines.push('ssh_authorized_keys:', ...keys.map((k) => `  - ${q(k)}`));
  }
  if (extras.hostKey) lines.push('ssh_keys:', `  ed25519_private: ${q(extras.hostKey.private)}`, `  ed25519_public: ${q(extras.hostKey.public)}`);
  if (ci.packages.length) lines.push('package_update: true', 'packages:', ...ci.packages.map((p) => `  - ${q(p)}`));
  if (ci.runcmd.length) lines.push('runcmd:', ...ci.runcmd.map((c) => `  - ${typeof c === 'string' ? q(c) : `[${c.map(q).join(', ')}]`}`));
  return { 'meta-data': meta, 'user-data': `${lines.join('\n')}\n`, 'network-config': network };
}

/** argv that writes `iso` from the files in `dir`, with the first tool found. */
async function isoArgv(dir: string, iso: string): Promise<string[]> {
  const files = ['meta-data', 'user-data', 'network-config'].map((f) => join(dir, f));
  const xorriso = await findBinary('xorriso');
  if (xorriso) return [xorriso, '-as', 'mkisofs', '-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...files];
  const geniso = (await findBinary('genisoimage')) ?? (await findBinary('mkisofs'));
  if (geniso) return [geniso, '-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...files];
  const localds = await findBinary('cloud-localds');
  if (localds) return [localds, `--network-config=${files[2]}`, iso, files[1]!, files[0]!];
  throw new NovaError('HOST_UNSUPPORTED', 'cloud_init: building the seed ISO needs xorriso, genisoimage or cloud-localds; install one (Debian: apt install xorriso)', { field: 'cloud_init' });
}

/**
 * Writes the seed ISO for a VM into `dir` (its state folder): `dir/cloud-init/seed.iso`, replaced
 * atomically. `baseDir` resolves `user_data = "file.yaml"`.
 */
export async function buildSeed(runner: Runner, dir: string, vm: { name: string; uuid: string; baseDir: string }, ci: CloudInitSpec, extras: SeedExtras = {}): Promise<string> {
  let userData: string | undefined;
  if (ci.user_data) {
    const path = ci.user_data.startsWith('/') ? ci.user_data : join(vm.baseDir, ci.user_data);
    userData = await readFile(path, 'utf8').catch(() => {
      throw new NovaError('INVALID_INPUT', `cloud_init.user_data: ${path} cannot be read — point it at your #cloud-config file`, { field: 'cloud_init.user_data', path });
    });
    if (!/^(#cloud-config|#!|Content-Type:|#include|## template: jinja)/.test(userData)) {
      throw new NovaError('INVALID_INPUT', `cloud_init.user_data: ${path} must start with "#cloud-config" (or "#!" for a script)`, { field: 'cloud_init.user_data', path });
    }
  }
  const files = seedFiles(vm, ci, userData, extras);
  const out = join(dir, 'cloud-init');
  const staging = join(out, 'files');
  await rm(staging, { recursive: true, force: true });
  await mkdir(out, { recursive: true, mode: 0o700 });
  await mkdir(staging, { mode: 0o700 });
  for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text, { mode: 0o600 });
  const iso = join(out, 'seed.iso');
  const tmp = `${iso}.tmp`;
  await rm(tmp, { force: true });
  await runner.run(await isoArgv(staging, tmp), { timeoutMs: 60_000 });
  // user-data may hold secrets: the owner only (a root-started QEMU opens it before it drops privileges).
  await chmod(tmp, 0o600);
  await rename(tmp, iso);
  await rm(staging, { recursive: true, force: true });
  return iso;
}

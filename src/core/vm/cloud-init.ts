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

/** The three NoCloud files. `userDataFile`: the text of `user_data = "file.yaml"` when given. */
export function seedFiles(vm: { name: string; uuid: string }, ci: CloudInitSpec, userDataFile?: string): SeedFiles {
  const hostname = ci.hostname ?? vm.name;
  const meta = `instance-id: ${q(`nova-${vm.uuid}`)}\nlocal-hostname: ${q(hostname)}\n`;
  // Every virtio NIC by DHCP (names differ between distros: ens3, enp0s2, eth0).
  const network = 'version: 2\nethernets:\n  nova-all:\n    match:\n      name: "e*"\n    dhcp4: true\n';
  if (userDataFile !== undefined) return { 'meta-data': meta, 'user-data': userDataFile, 'network-config': network };
  const lines = ['#cloud-config', `hostname: ${q(hostname)}`];
  if (ci.user) {
    lines.push('users:', `  - name: ${q(ci.user)}`, '    shell: "/bin/bash"', '    sudo: "ALL=(ALL) NOPASSWD:ALL"', '    groups: ["sudo", "wheel"]', '    lock_passwd: true');
    if (ci.ssh_authorized_keys.length) lines.push('    ssh_authorized_keys:', ...ci.ssh_authorized_keys.map((k) => `      - ${q(k)}`));
  } else if (ci.ssh_authorized_keys.length) {
    lines.push('ssh_authorized_keys:', ...ci.ssh_authorized_keys.map((k) => `  - ${q(k)}`));
  }
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
export async function buildSeed(runner: Runner, dir: string, vm: { name: string; uuid: string; baseDir: string }, ci: CloudInitSpec): Promise<string> {
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
  const files = seedFiles(vm, ci, userData);
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

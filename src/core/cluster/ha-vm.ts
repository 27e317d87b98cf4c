// HA VMs (issue #23): a VM can fail over only when every host reaches its disks. The cluster
// declares one shared storage folder (`nova cluster set --shared-storage /path`: NFS, CephFS, a
// SAN mount — the same path on every host); an HA VM's files (image, disks, ISOs, kernel, initrd)
// must all be inside it, and only hosts that see that folder are candidates. Fencing is the
// agent's, the same for VMs as for capsules (agent.ts): the owner kills its HA VMs 3 s after its
// last good renewal was sent and at once when the lease is found gone, a survivor starts a moved
// VM 2 s after it saw the move — so two QEMUs never write one disk (QEMU's image lock is a last
// guard on one machine).
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import type { EngineContext } from '../context.js';
import { processMatches } from '../sys/proc.js';
import { keys } from './config.js';
import type { EtcdClient } from './etcd.js';
import type { ItemRecord } from './placement.js';

export interface ClusterSettings {
  /** A folder every host mounts at this path: HA VMs keep their files in it. */
  sharedStorage?: string;
}

export async function readSettings(client: EtcdClient, cluster: string): Promise<ClusterSettings> {
  const kv = await client.get(keys(cluster).settings);
  return kv ? (JSON.parse(kv.value) as ClusterSettings) : {};
}

export async function writeSettings(client: EtcdClient, cluster: string, s: ClusterSettings): Promise<void> {
  await client.put(keys(cluster).settings, JSON.stringify(s));
}

/** The shared storage path when this host sees it (a folder it can read and write), else undefined. */
export async function seesShared(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    if (!(await stat(path)).isDirectory()) return undefined;
    await access(path, constants.R_OK | constants.W_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** Every file a VM spec names, with its field. */
export function vmFiles(spec: VmSpec): [string, string][] {
  const out: [string, string][] = [];
  if (spec.image) out.push(['vm.image', spec.image]);
  spec.disks.forEach((d, i) => {
    if (typeof d === 'string') out.push([`vm.disks[${i}]`, d]);
    else {
      out.push([`vm.disks[${i}].path`, d.path]);
      if (d.backing) out.push([`vm.disks[${i}].backing`, d.backing]);
    }
  });
  (Array.isArray(spec.iso) ? spec.iso : spec.iso ? [spec.iso] : []).forEach((p, i) => out.push([`vm.iso[${i}]`, p]));
  if (spec.kernel) out.push(['vm.kernel', spec.kernel]);
  if (spec.initrd) out.push(['vm.initrd', spec.initrd]);
  return out;
}

/** Refuses an HA VM the cluster cannot fail over: no shared storage declared, or a file outside it. */
export function checkHaVm(settings: ClusterSettings, spec: VmSpec | undefined): string {
  const shared = settings.sharedStorage;
  if (!shared) throw new NovaError('HOST_UNSUPPORTED', 'ha: an HA VM needs storage every host reaches: declare the folder every host mounts with `nova cluster set --shared-storage /path` and keep the VM\'s disks there (HA capsules need none)', { field: 'ha' });
  if (!spec) throw new NovaError('INVALID_INPUT', 'vm: an HA VM needs its [vm] spec (what another host defines and starts when this one fails)', { field: 'vm' });
  const files = vmFiles(spec);
  if (!files.some(([f]) => f.startsWith('vm.disks') || f === 'vm.image')) throw new NovaError('INVALID_INPUT', `vm.disks: an HA VM needs a disk in the shared storage ${shared} (its state must survive the move)`, { field: 'vm.disks' });
  for (const [field, p] of files) {
    const rel = relative(shared, p);
    if (!isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel)) throw new NovaError('INVALID_INPUT', `${field}: ${p} is not in the shared storage ${shared}: every host must reach an HA VM's files — move it there`, { field });
  }
  if (spec.gpu_passthrough || spec.gpu || spec.usb?.length) throw new NovaError('INVALID_INPUT', 'vm: an HA VM cannot pass through host devices (GPU, USB): another host has other ones', { field: 'vm' });
  return shared;
}

export type VmRow = { name: string; state: string; pid?: number; uuid: string };

/** This host's VMs of the cluster project. */
export async function localVms(engine: EngineContext, project: string): Promise<VmRow[]> {
  return (await engine.call('vm.list', { project })).items;
}

/** Defines (first time here) and starts an HA VM this host owns (the agent decided it may). Returns its QEMU's pid. */
export async function runVmHere(engine: EngineContext, record: ItemRecord, here: VmRow | undefined, project: string): Promise<number | undefined> {
  if (!here) await engine.call('vm.create', { name: record.name, spec: { ...record.vm!, restart: 'no' }, project });
  return (await engine.call('vm.start', { name: record.name })).pid;
}

/** Removes this host's copy of an HA VM another host owns (or that was released): stopped at once, definition removed, disks kept. */
export async function removeVmCopy(engine: EngineContext, name: string): Promise<void> {
  await engine.call('vm.destroy', { name }).catch(() => undefined);
  await engine.call('vm.delete', { name, disks: false });
}

/**
 * Kills every running HA VM here: its QEMU by pid at once (SIGKILL, checked against the VM's uuid
 * in its argv), then vm.destroy for the runtime files. Returns the names killed.
 */
export async function fenceVms(engine: EngineContext, project: string, skip: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const v of (await localVms(engine, project)).filter((x) => x.state === 'running' || x.state === 'paused' || x.pid)) {
    if (v.pid && (await processMatches(v.pid, ['qemu-system', v.uuid]))) {
      try {
        process.kill(v.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await engine.call('vm.destroy', { name: v.name }).catch(() => undefined);
    if (!skip.has(`vm/${v.name}`)) out.push(v.name);
  }
  return out;
}

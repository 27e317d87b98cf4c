// Defining, redefining and removing VMs. Sized disks that do not exist yet are created at
// define time (undone if the definition fails); disks are deleted only when asked.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { readTail } from '../sys/file-tail.js';
import { NovaError } from '../../shared/errors.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import { dirs } from '../sys/paths.js';
import { withReverter } from '../sys/reverter.js';
import type { VmContext } from './context.js';
import { giveBackAll, handoverFile } from './confine.js';
import { createDisk, imageInfo } from './disks.js';
import { checkFiles } from './files.js';
import { vmInfoOf } from './info.js';
import { declaredSwitches } from './nic-spec.js';
import { clearRuntime, publish, stopLocked, swtpmPaths, vmLock } from './power.js';
import { stopSwtpm } from './process.js';
import { processState } from './state.js';
import { absolutize, findRecord, layoutOf, listRecords, loadRecord, newIdentity, removeVmDirs, resolveDisks, saveRecord, vmDir } from './store.js';
import type { VmRecord } from './store.js';

export interface DefineInput {
  name: string;
  spec: VmSpec;
  project?: string;
  baseDir?: string;
  uuid?: string;
  mac?: string;
}

const MIN_MEMORY = 16 * 1024 * 1024;

function checkSpec(spec: VmSpec): void {
  if (spec.memory < MIN_MEMORY) throw new NovaError('INVALID_INPUT', `memory: ${spec.memory} bytes is too little for any guest; write at least "64Mi"`, { field: 'memory' });
  if (spec.network !== undefined && spec.network !== 'user' && spec.network !== 'none' && !/^[a-z0-9][a-z0-9_-]{0,14}$/.test(spec.network)) {
    throw new NovaError('INVALID_INPUT', `network: "${spec.network}" is not a network name; use "user", "none" or a declared network`, { field: 'network' });
  }
  for (const [i, n] of (spec.nics ?? []).entries()) {
    if (n.network !== 'user' && !/^[a-z0-9][a-z0-9_-]{0,14}$/.test(n.network)) {
      throw new NovaError('INVALID_INPUT', `nics[${i}].network: "${n.network}" is not a network name; use "user" or a declared network`, { field: `nics.${i}.network` });
    }
  }
  if (spec.ports.length && spec.network === 'none') {
    throw new NovaError('INVALID_INPUT', 'ports: a VM with network = "none" has nothing to forward to; use network = "user" or a network', { field: 'ports' });
  }
}

/** Creates the sized disks that do not exist yet; registers their removal on the reverter. */
async function createMissingDisks(ctx: VmContext, rec: VmRecord, undo: (fn: () => Promise<void>) => void): Promise<void> {
  for (const d of rec.spec.disks) {
    if (typeof d === 'string' || (d.size === undefined && !d.backing)) continue;
    const path = absolutize(rec.baseDir, d.path);
    if (existsSync(path)) continue;
    const backing = d.backing ? absolutize(rec.baseDir, d.backing) : undefined;
    const base = backing ? { path: backing, format: (await imageInfo(ctx.runner, backing)).format } : undefined;
    await createDisk(ctx.runner, path, d.size ?? 0, base ? 'qcow2' : (d.format ?? 'qcow2'), base);
    undo(() => rm(path, { force: true }));
  }
}

export async function createVm(ctx: VmContext, input: DefineInput): Promise<VmInfo> {
  checkSpec(input.spec);
  return vmLock(ctx, input.name, async () => {
    if (await findRecord(ctx.paths, input.name)) throw new NovaError('CONFLICT', `a VM named "${input.name}" already exists`, { name: input.name });
    const id = newIdentity(input.name);
    const rec: VmRecord = {
      version: 1,
      name: input.name,
      uuid: input.uuid ?? id.uuid,
      ...(input.project ? { project: input.project } : {}),
      // Relative disk/ISO paths without a NovaFile folder (the app, the API) resolve in the
      // default storage pool, never in whatever folder the engine was started from.
      baseDir: input.baseDir ?? dirs.storage(ctx.paths),
      spec: input.spec,
      mac: input.mac ?? input.spec.mac ?? input.spec.nics?.[0]?.mac ?? id.mac,
      createdAt: Date.now(),
    };
    await checkFiles(rec, { skipSizedDisks: true });
    await withReverter(async (r) => {
      await createMissingDisks(ctx, rec, (fn) => r.add(fn, 'remove created disk'));
      r.add(() => rm(vmDir(ctx.paths, rec.name), { recursive: true, force: true }), 'remove definition');
      await saveRecord(ctx.paths, rec);
    });
    publish(ctx, rec.name, 'stopped', 'defined');
    return vmInfoOf(ctx, rec, { cheap: true });
  }, 'create');
}

export async function updateVm(ctx: VmContext, input: DefineInput): Promise<VmInfo> {
  checkSpec(input.spec);
  return vmLock(ctx, input.name, async () => {
    const old = await loadRecord(ctx.paths, input.name);
    const st = await processState(ctx.paths, old);
    if (st.state !== 'stopped' && st.state !== 'crashed') throw new NovaError('CONFLICT', `VM ${input.name} is ${st.state}; stop it before changing its definition`);
    const rec: VmRecord = {
      ...old,
      spec: input.spec,
      ...(input.project !== undefined ? { project: input.project } : {}),
      baseDir: input.baseDir ?? old.baseDir,
      mac: input.spec.mac ?? input.spec.nics?.[0]?.mac ?? old.mac,
    };
    delete rec.overlays; // a changed disk list invalidates external-snapshot overlays
    // New first-boot media (installer ISOs, cloud-init): the next start is a first boot again.
    const media = (s: VmSpec) => JSON.stringify([s.iso, s.install, s.cloud_init]);
    if (media(old.spec) !== media(rec.spec)) delete rec.firstBootAt;
    if (JSON.stringify(old.spec.image) === JSON.stringify(rec.spec.image) && JSON.stringify(old.spec.disks) === JSON.stringify(rec.spec.disks) && old.overlays) rec.overlays = old.overlays;
    await checkFiles(rec, { skipSizedDisks: true });
    await withReverter(async (r) => {
      await createMissingDisks(ctx, rec, (fn) => r.add(fn, 'remove created disk'));
      await saveRecord(ctx.paths, rec);
    });
    publish(ctx, rec.name, 'stopped', 'updated');
    return vmInfoOf(ctx, rec, { cheap: true });
  }, 'update');
}

/** Linked clones and external overlays need their backing files: never delete those. */
async function refuseIfBacking(ctx: VmContext, rec: VmRecord): Promise<void> {
  const mine = new Set(resolveDisks(rec).map((d) => d.path));
  for (const other of await listRecords(ctx.paths)) {
    if (other.name === rec.name) continue;
    for (const d of resolveDisks(other)) {
      if (d.format !== 'qcow2') continue;
      let info = await imageInfo(ctx.runner, d.path).catch(() => undefined);
      // Walk the chain: an overlay of a clone still depends on the clone's base.
      for (let depth = 0; info && depth < 16; depth++) {
        const backing = info['full-backing-filename'] ?? info['backing-filename'];
        if (!backing) break;
        if (mine.has(backing)) {
          throw new NovaError('CONFLICT', `disk ${backing} of VM ${rec.name} is the backing file of VM ${other.name}; delete ${other.name} first (or delete ${rec.name} without disks)`, { backing, dependent: other.name });
        }
        info = await imageInfo(ctx.runner, backing).catch(() => undefined);
      }
    }
  }
}

export async function listVms(ctx: VmContext, project?: string, cheap = false): Promise<VmInfo[]> {
  const recs = (await listRecords(ctx.paths)).filter((r) => !project || r.project === project);
  return Promise.all(recs.map((r) => vmInfoOf(ctx, r, { cheap })));
}

export async function inspectVm(ctx: VmContext, name: string): Promise<VmInfo> {
  return vmInfoOf(ctx, await loadRecord(ctx.paths, name));
}

/** Force stop and clear runtime state; the definition and disks stay. */
export async function destroyVm(ctx: VmContext, name: string): Promise<VmInfo> {
  return vmLock(ctx, name, async () => {
    await stopLocked(ctx, name, { force: true });
    const rec = await loadRecord(ctx.paths, name);
    await clearRuntime(ctx, rec);
    return vmInfoOf(ctx, rec);
  }, 'destroy');
}

/** `keepAddresses`: the VM moved to another host on the same segments; its addresses stay reserved here, unserved. */
export async function deleteVm(ctx: VmContext, name: string, withDisks: boolean, o: { keepAddresses?: boolean } = {}): Promise<{ name: string; deleted: boolean; removedDisks: string[] }> {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    if (withDisks) await refuseIfBacking(ctx, rec); // before stopping anything
    await stopLocked(ctx, name, { force: false, timeoutMs: 20_000 });
    await stopSwtpm(swtpmPaths(ctx, name));
    await releaseAttachments(ctx, rec, !o.keepAddresses);
    // A root-started QEMU's files go back to whoever owned them before (kept disks stay theirs).
    await giveBackAll(handoverFile(vmDir(ctx.paths, name)));
    const removed: string[] = [];
    if (withDisks) {
      for (const d of resolveDisks(rec)) {
        if (d.readonly) continue;
        await rm(d.path, { force: true });
        removed.push(d.path);
      }
      for (const o of Object.values(rec.overlays ?? {})) if (!removed.includes(o)) await rm(o, { force: true });
    }
    await removeVmDirs(ctx.paths, name);
    ctx.bus.emit('resource.changed', { kind: 'vm', name, state: 'deleted' });
    return { name, deleted: true, removedDisks: removed };
  }, 'delete');
}

/**
 * A deleted VM lets go of every switch: its first NIC's, those of vm.nic.attach, and any other
 * attachment a switch still holds for it (made with network.attach directly). Addresses are
 * released too, so the switch can be removed without --force.
 */
async function releaseAttachments(ctx: VmContext, rec: VmRecord, release = true): Promise<void> {
  const nets = new Set<string>([...(rec.nics ?? []).map((n) => n.network), ...declaredSwitches(rec.spec)]);
  const all = await ctx.call('network.list', {}).catch(() => ({ items: [] }));
  for (const n of all.items) if (n.attachments.some((a) => a.owner.kind === 'vm' && a.owner.name === rec.name)) nets.add(n.name);
  for (const network of nets) {
    await ctx.call('network.detach', { network, owner: { kind: 'vm', name: rec.name }, release }).catch(() => undefined);
  }
}

/** The last lines of the serial console log (read from the end, big logs stay cheap). */
export async function serialLines(ctx: VmContext, name: string, tail = 200): Promise<{ name: string; path: string; lines: string[] }> {
  await loadRecord(ctx.paths, name);
  const path = layoutOf(ctx.paths, name).serialLog;
  const { bytes, whole } = await readTail(path, Math.max(64 * 1024, tail * 256));
  if (!bytes.length) return { name, path, lines: [] };
  const lines = bytes.toString('utf8').replace(/\r/g, '').split('\n');
  if (!whole) lines.shift(); // first line is partial
  if (lines[lines.length - 1] === '') lines.pop();
  return { name, path, lines: lines.slice(-tail) };
}

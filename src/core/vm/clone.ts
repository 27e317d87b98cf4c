// Clones of a stopped VM: linked (a qcow2 overlay per disk whose backing file is the source's
// disk, instant and small) or full (qemu-img convert). New identity (uuid, MAC); port forwards
// are dropped because the source owns those host ports.
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { withReverter } from '../sys/reverter.js';
import type { VmContext } from './context.js';
import { createDisk, imageInfo } from './disks.js';
import { vmInfoOf } from './info.js';
import { publish, vmLock } from './power.js';
import { processState } from './state.js';
import { absolutize, findRecord, layoutOf, loadRecord, newIdentity, resolveDisks, saveRecord, vmDir } from './store.js';
import type { VmRecord } from './store.js';
import { rm } from 'node:fs/promises';

export async function cloneVm(ctx: VmContext, source: string, name: string, opts: { full?: boolean; project?: string } = {}): Promise<VmInfo> {
  if (source === name) throw new NovaError('INVALID_INPUT', 'name: the clone needs a name different from its source');
  return vmLock(ctx, source, () =>
    vmLock(ctx, name, async () => {
      const src = await loadRecord(ctx.paths, source);
      if (await findRecord(ctx.paths, name)) throw new NovaError('CONFLICT', `a VM named "${name}" already exists`);
      const st = await processState(ctx.paths, src);
      if (st.state !== 'stopped' && st.state !== 'crashed') {
        throw new NovaError('CONFLICT', `VM ${source} is ${st.state}: stop it first (a clone of a live disk would be inconsistent), or snapshot it`);
      }
      const id = newIdentity(name);
      const dstDir = vmDir(ctx.paths, name);
      return withReverter(async (r) => {
        r.add(() => rm(dstDir, { recursive: true, force: true }), 'remove clone dir');
        const newPaths: string[] = [];
        for (const d of resolveDisks(src)) {
          const file = join(dstDir, `${d.node}.${opts.full ? d.format : 'qcow2'}`);
          if (d.readonly) {
            newPaths.push(d.path); // shared read-only media stay shared
            continue;
          }
          if (opts.full) {
            await ctx.runner.run(['qemu-img', 'convert', '-O', d.format, d.path, file], { timeoutMs: 3_600_000 });
          } else {
            const info = await imageInfo(ctx.runner, d.path);
            await createDisk(ctx.runner, file, 0, 'qcow2', { path: d.path, format: info.format });
          }
          newPaths.push(file);
        }
        const spec = structuredClone(src.spec);
        let i = 0;
        if (spec.image) spec.image = newPaths[i++]!;
        spec.disks = spec.disks.map((d) => {
          const p = newPaths[i++]!;
          return typeof d === 'string' ? p : { ...d, path: p, format: opts.full ? d.format : 'qcow2', size: undefined };
        }).map((d) => (typeof d === 'string' ? d : Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as typeof d));
        spec.ports = [];
        delete spec.mac;
        // The clone's NICs get MACs of its own identity, and forward no host port the source holds.
        if (spec.nics) spec.nics = spec.nics.map(({ mac: _mac, ...n }) => ({ ...n, ports: [] }));
        for (const k of ['kernel', 'initrd'] as const) if (spec[k]) spec[k] = absolutize(src.baseDir, spec[k]);
        if (spec.iso) spec.iso = Array.isArray(spec.iso) ? spec.iso.map((p) => absolutize(src.baseDir, p)) : absolutize(src.baseDir, spec.iso);
        const rec: VmRecord = {
          version: 1, name, uuid: id.uuid, baseDir: src.baseDir, spec, mac: id.mac, createdAt: Date.now(),
          ...(opts.project ?? src.project ? { project: opts.project ?? src.project } : {}),
        };
        await saveRecord(ctx.paths, rec);
        // UEFI variables (boot entries, enrolled keys) travel with the clone; the TPM does not.
        const vars = layoutOf(ctx.paths, source).varsFile;
        if (existsSync(vars)) await copyFile(vars, layoutOf(ctx.paths, name).varsFile);
        publish(ctx, name, 'stopped', `cloned from ${source}`);
        return vmInfoOf(ctx, rec, { cheap: true });
      });
    }, 'clone'), 'clone source');
}

// Restore and delete of external snapshots (the overlay chain of ./snapshot-chain.ts), with the
// VM stopped. Layers, base first: base | S | T | C (current). The point in time of tag T is T's
// backing chain (what the disk was when T's overlay started); T's file holds the writes after it.
// - restore T: the writes after T are dropped — T's overlay is made again empty on its backing
//   (so T can be restored again) and every layer above it is removed; QEMU boots from T next.
// - delete T: the point in time T is gone, the disk's contents are not — T's writes are
//   committed into its backing (qemu-img commit), the layer above is re-pointed at that backing
//   (rebase -u: same contents), T's file is removed.
// A running VM refuses both (its QEMU holds the chain open); stop it first.
// A UEFI VM's variable store copy taken with T (./snapshot-vars.ts) goes back into the store on
// restore (the copies of the layers dropped above it go too); delete drops T's copy.
import { rename, rm } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { VmDiskChain } from '../../shared/contract/vm.js';
import type { VmContext } from './context.js';
import { vmLock } from './power.js';
import { snapshotChains } from './snapshot-chain.js';
import { dropVarsCopy, restoreVarsCopy } from './snapshot-vars.js';
import { processState } from './state.js';
import { loadRecord, saveRecord, vmDir } from './store.js';
import type { VmRecord } from './store.js';

type Hit = { node: string; layers: VmDiskChain['layers']; i: number };

/** The chains that hold external snapshot `tag`, with the index of its layer. */
export async function externalHits(ctx: VmContext, rec: VmRecord, tag: string): Promise<Hit[]> {
  const chains = await snapshotChains(ctx.runner, rec, vmDir(ctx.paths, rec.name));
  return chains.map((c) => ({ node: c.node, layers: c.layers, i: c.layers.findIndex((l) => l.externalTag === tag) })).filter((h) => h.i > 0);
}

async function stoppedWithTag(ctx: VmContext, name: string, tag: string, what: string): Promise<{ rec: VmRecord; hits: Hit[] }> {
  const rec = await loadRecord(ctx.paths, name);
  const hits = await externalHits(ctx, rec, tag);
  if (!hits.length) throw new NovaError('NOT_FOUND', `VM ${name} has no snapshot "${tag}" — see \`nova snapshot ls vm ${name}\``, { tag });
  const st = await processState(ctx.paths, rec);
  if (st.state !== 'stopped' && st.state !== 'crashed') {
    throw new NovaError('CONFLICT', `VM ${name} is ${st.state}: stop it to ${what} external snapshot "${tag}" (its QEMU holds the disk chain open)`, { tag });
  }
  return { rec, hits };
}

/** The overlay the VM boots from for `node` after the chain changed: none when it is the disk itself. */
function pointAt(overlays: Record<string, string>, node: string, layer: VmDiskChain['layers'][number]): void {
  if (layer.externalTag) overlays[node] = layer.file;
  else delete overlays[node];
}

export async function restoreExternal(ctx: VmContext, name: string, tag: string) {
  return vmLock(ctx, name, async () => {
    const t0 = performance.now();
    const { rec, hits } = await stoppedWithTag(ctx, name, tag, 'restore');
    const overlays = { ...(rec.overlays ?? {}) };
    for (const { node, layers, i } of hits) {
      const layer = layers[i]!;
      const parent = layers[i - 1]!;
      // The fresh overlay is complete before it replaces the old one; the record moves last.
      const fresh = `${layer.file}.restore`;
      await ctx.runner.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', parent.file, '-F', parent.format, fresh]);
      await rename(fresh, layer.file);
      pointAt(overlays, node, layer);
      await saveRecord(ctx.paths, { ...rec, overlays });
      for (const above of layers.slice(i + 1)) {
        await rm(above.file, { force: true });
        if (above.externalTag) await dropVarsCopy(ctx.paths, name, above.externalTag);
      }
    }
    const uefiVars = await restoreVarsCopy(ctx.paths, name, tag);
    return { name, tag, durationMs: performance.now() - t0, ...(uefiVars ? { uefiVars } : {}) };
  }, 'snapshot restore');
}

export async function deleteExternal(ctx: VmContext, name: string, tag: string) {
  return vmLock(ctx, name, async () => {
    const t0 = performance.now();
    const { rec, hits } = await stoppedWithTag(ctx, name, tag, 'delete');
    const overlays = { ...(rec.overlays ?? {}) };
    for (const { node, layers, i } of hits) {
      const layer = layers[i]!;
      const parent = layers[i - 1]!;
      const child = layers[i + 1];
      await ctx.runner.run(['qemu-img', 'commit', '-q', '-f', 'qcow2', layer.file], { timeoutMs: 600_000 });
      if (child) await ctx.runner.run(['qemu-img', 'rebase', '-q', '-u', '-f', 'qcow2', '-b', parent.file, '-F', parent.format, child.file]);
      else pointAt(overlays, node, parent);
      await saveRecord(ctx.paths, { ...rec, overlays });
      await rm(layer.file, { force: true });
    }
    await dropVarsCopy(ctx.paths, name, tag);
    return { name, tag, durationMs: performance.now() - t0 };
  }, 'snapshot delete');
}

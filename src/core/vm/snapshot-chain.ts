// The external-snapshot chain of a VM's disks: per writable qcow2 disk, the layers from the base
// image up to the overlay QEMU writes to now (each external snapshot froze the layer below it
// and started a new overlay, `<node>-<tag>.qcow2` in the VM's folder), with the internal
// snapshots each layer holds. Read with `qemu-img info --backing-chain -U` (works while QEMU
// holds the images).
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { VmDiskChain } from '../../shared/contract/vm.js';
import type { Runner } from '../sys/runner.js';
import { resolveDisks } from './store.js';
import type { VmRecord } from './store.js';

interface ChainImage {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  snapshots?: { name: string; 'vm-state-size': number; 'date-sec': number }[];
}

/** When the file was made (statx birth time), if the filesystem keeps one. */
async function bornAt(file: string): Promise<number | undefined> {
  const s = await stat(file).catch(() => undefined);
  return s && s.birthtimeMs > 0 ? Math.round(s.birthtimeMs) : undefined;
}

/** The tag of the external snapshot that made `file`: `<node>-<tag>.qcow2`. */
export function overlayTag(node: string, file: string): string | undefined {
  const b = basename(file);
  return b.startsWith(`${node}-`) && b.endsWith('.qcow2') ? b.slice(node.length + 1, -'.qcow2'.length) || undefined : undefined;
}

/** Base-first layers of one image chain as qemu-img reports it (top first). */
export async function chainLayers(node: string, images: ChainImage[], vmFolder: string): Promise<VmDiskChain['layers']> {
  const layers = await Promise.all(
    [...images].reverse().map(async (im, i, all) => {
      const tag = i > 0 && dirname(resolve(im.filename)) === resolve(vmFolder) ? overlayTag(node, im.filename) : undefined;
      const createdAt = await bornAt(im.filename);
      return {
        file: im.filename,
        format: im.format,
        sizeBytes: im['actual-size'] ?? 0,
        virtualSize: im['virtual-size'],
        ...(tag ? { externalTag: tag } : {}),
        ...(createdAt !== undefined ? { createdAt } : {}),
        current: i === all.length - 1,
        snapshots: (im.snapshots ?? []).map((s) => ({ tag: s.name, vmStateSize: s['vm-state-size'], date: s['date-sec'] })),
      };
    }),
  );
  return layers;
}

/** Every writable qcow2 disk's chain; a disk qemu-img cannot read is left out (the list still works). */
export async function snapshotChains(runner: Runner, rec: VmRecord, vmFolder: string): Promise<VmDiskChain[]> {
  const out: VmDiskChain[] = [];
  for (const d of resolveDisks(rec).filter((x) => x.format === 'qcow2' && !x.readonly)) {
    if (!existsSync(d.path)) continue;
    const r = await runner.run(['qemu-img', 'info', '-U', '--backing-chain', '--output=json', d.path], { timeoutMs: 30_000 }).catch(() => undefined);
    if (!r) continue;
    const images = JSON.parse(r.stdout) as ChainImage[];
    out.push({ node: d.node, layers: await chainLayers(d.node, images, vmFolder) });
  }
  return out;
}

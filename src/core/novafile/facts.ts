// Gathers the host facts the planner needs, once per plan: can a GPU be passed through, which
// overlay drivers run here, which declared files are missing.
import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Runner } from '../sys/runner.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import type { Backends } from './backend.js';
import type { Declared, HostFacts, Verdict } from './model.js';

export interface FactsOptions {
  baseDir: string;
  runner: Runner;
  sysfsRoot?: string;
}

async function gpuVerdict(b: Backends, vm: VmSpec): Promise<Verdict> {
  try {
    const out = await b.call('gpu.resolveForVm', {
      gpu_passthrough: vm.gpu_passthrough, ...(vm.gpu ? { gpu: vm.gpu } : {}), memoryBytes: vm.memory, ...(vm.hugepages ? { hugepages: true } : {}), bind: false,
    });
    if (out.chosen && !out.blocked) return { ok: true, reason: out.why };
    const fix = out.checks.find((c) => c.fix && c.status !== 'ok')?.fix;
    return { ok: false, reason: out.reason ?? out.why, ...(fix ? { fix } : {}) };
  } catch (e) {
    const fix = (e as { details?: { fix?: unknown } }).details?.fix;
    return { ok: false, reason: (e as Error).message, ...(typeof fix === 'string' ? { fix } : {}) };
  }
}

export async function gatherFacts(b: Backends, declared: Declared, opts: FactsOptions): Promise<HostFacts> {
  const gpu: Record<string, Verdict> = {};
  const wantsOverlay = declared.items.some((i) => i.kind === 'network' && (i.spec as { type?: string }).type === 'overlay');
  await Promise.all(
    declared.items
      .filter((i) => i.kind === 'vm' && ((i.spec as VmSpec).gpu_passthrough || (i.spec as VmSpec).gpu))
      .map(async (i) => void (gpu[i.name] = await gpuVerdict(b, i.spec as VmSpec))),
  );
  // Each driver says whether it runs here (overlay/*.ts support()); asked only when an overlay is declared.
  const overlay: HostFacts['overlay'] = wantsOverlay
    ? (await b.call('network.drivers', {})).drivers
    : { vxlan: { ok: true, reason: 'not checked' }, quic: { ok: false, reason: 'not checked' }, wireguard: { ok: false, reason: 'not checked' } };
  return { gpu, overlay, missingFiles: await missingFiles(declared, opts.baseDir) };
}

/** Files a VM boots from must exist (disks with a size or a backing file are created, so they may be absent; the backing file may not). */
async function missingFiles(declared: Declared, baseDir: string): Promise<HostFacts['missingFiles']> {
  const checks: { path: string; file: string }[] = [];
  for (const i of declared.items) {
    if (i.kind !== 'vm') continue;
    const vm = i.spec as VmSpec;
    const at = (key: string) => `vm.${i.name}.${key}`;
    for (const key of ['image', 'kernel', 'initrd'] as const) if (vm[key]) checks.push({ path: at(key), file: vm[key] });
    const isos = vm.iso === undefined ? [] : Array.isArray(vm.iso) ? vm.iso : [vm.iso];
    isos.forEach((f, n) => checks.push({ path: Array.isArray(vm.iso) ? at(`iso.${n}`) : at('iso'), file: f }));
    vm.disks.forEach((d, n) => {
      if (typeof d === 'string') checks.push({ path: at(`disks.${n}`), file: d });
      else if (d.backing) checks.push({ path: at(`disks.${n}.backing`), file: d.backing });
      else if (d.size === undefined) checks.push({ path: at(`disks.${n}.path`), file: d.path });
    });
  }
  const out: HostFacts['missingFiles'] = [];
  await Promise.all(
    checks.map(async (c) => {
      const abs = isAbsolute(c.file) ? c.file : resolve(baseDir, c.file);
      try {
        await access(abs);
      } catch {
        out.push({ path: c.path, file: abs });
      }
    }),
  );
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

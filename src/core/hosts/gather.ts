import { stat } from 'node:fs/promises';
import type { VmInfo } from '../../shared/contract/vm.js';
import type { HostInfo } from '../../shared/contract/host.js';
import type { EngineContext } from '../context.js';
import type { PreflightFacts } from './preflight.js';

// The facts a cross-host migration preflight needs: the VM and this host from the local engine,
// the target from its engine over the host's SSH connection (all its reads in parallel).

const allocated = async (path: string) => {
  const st = await stat(path).catch(() => undefined);
  return st ? st.blocks * 512 : 0;
};

/** `remote` calls a procedure of the target host's engine. */
export async function gatherPreflight(engine: EngineContext, remote: (method: string) => Promise<unknown>, name: string, host: string): Promise<PreflightFacts> {
  const [vm, here] = (await Promise.all([engine.call('vm.inspect', { name }), engine.call('host.info', {})])) as [VmInfo, HostInfo];
  const networks = [...new Set([...(vm.nic.kind === 'tap' && vm.nic.network ? [vm.nic.network] : []), ...(vm.nics ?? []).map((n) => n.network)])];
  // Switches are asked for only when the VM is on some (listing them may need the target's helper).
  const [info, usage, nets, vms, pools] = (await Promise.all([
    remote('host.info'),
    remote('host.usage'),
    networks.length ? remote('network.list') : Promise.resolve({ items: [] }),
    remote('vm.list'),
    remote('storage.pools'),
  ])) as [HostInfo, { memoryAvailableBytes: number }, { items: { name: string }[] }, { items: { name: string }[] }, { pools: { builtin: boolean; freeBytes?: number }[] }];
  const freeDisk = pools.pools.find((p) => p.builtin)?.freeBytes;
  const code = vm.secureBoot ? here.ovmf?.secbootCode : here.ovmf?.code;
  return {
    vm: {
      name,
      state: vm.state,
      memoryBytes: Number(vm.spec.memory),
      accelerator: vm.accelerator.kind,
      gpuPassthrough: Boolean(vm.spec.gpu_passthrough),
      clipboard: Boolean(vm.spec.clipboard),
      virtiofsShares: (vm.shares ?? []).filter((s) => s.driver === 'virtiofs').map((s) => s.tag),
      networks,
      diskBytes: (await Promise.all(vm.disks.map((d) => allocated(d.path)))).reduce((a, b) => a + b, 0),
      ...(here.accelerator.qemu ? { qemu: here.accelerator.qemu } : {}),
      ...(vm.uefi ? { uefi: { secureBoot: vm.secureBoot, ...(code ? { code } : {}) } } : {}),
      ...(vm.tpm ? { tpm: true } : {}),
    },
    target: {
      host,
      ...(info.accelerator.qemu ? { qemu: info.accelerator.qemu } : {}),
      kvm: info.accelerator.kvmUsable,
      memoryAvailableBytes: usage.memoryAvailableBytes,
      ...(freeDisk !== undefined ? { freeDiskBytes: freeDisk } : {}),
      networks: nets.items.map((n) => n.name),
      vmNames: vms.items.map((v) => v.name),
      ...(info.ovmf ? { ovmf: info.ovmf } : {}),
      swtpm: info.tools.some((x) => x.name === 'swtpm' && x.found),
    },
  };
}

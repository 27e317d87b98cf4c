// Before a VM moves to another host, everything that would make it fail half-way is checked
// with both hosts' facts, and each problem names its fix. Pure: gathering the facts is separate.
import { firmwareMismatch } from '../vm/xmigrate/firmware.js';
import type { FirmwareFile } from '../vm/xmigrate/firmware.js';

export interface PreflightFacts {
  vm: {
    name: string;
    state: string;
    memoryBytes: number;
    accelerator: 'kvm' | 'tcg' | 'none';
    gpuPassthrough: boolean;
    /** Tags of the VM's virtiofs shared folders (vhost-user-fs cannot be migrated). */
    virtiofsShares?: string[];
    /** clipboard = true (QEMU 7.2's vdagent chardev cannot be migrated). */
    clipboard?: boolean;
    /** Nova switches the VM's NICs are on. */
    networks: string[];
    /** Disk space the target needs (allocated bytes of every disk). */
    diskBytes: number;
    qemu?: string;
    /** UEFI: the OVMF code build it runs on here (Secure Boot: the secboot build). */
    uefi?: { secureBoot: boolean; code?: FirmwareFile };
    /** It has a TPM (swtpm). */
    tpm?: boolean;
  };
  target: {
    host: string;
    qemu?: string;
    kvm: boolean;
    memoryAvailableBytes: number;
    /** Free space in the target's default storage pool. */
    freeDiskBytes?: number;
    networks: string[];
    vmNames: string[];
    /** The target's OVMF code builds (absent: none installed, or an older Nova that does not say). */
    ovmf?: { code?: FirmwareFile; secbootCode?: FirmwareFile };
    /** swtpm is installed there. */
    swtpm?: boolean;
  };
}

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;
/** Memory kept free on the target besides the guest's (QEMU's own, the host's page cache). */
export const MEMORY_HEADROOM = 256 * 1024 ** 2;

/** "7.2.19" → [7, 2]. */
const majorMinor = (v?: string) => (v ? (/(\d+)\.(\d+)/.exec(v)?.slice(1, 3).map(Number) as [number, number] | undefined) : undefined);

/** What moves besides disks and RAM, for the preflight's answer. */
export function preflightCarries(f: PreflightFacts): string[] {
  return [
    ...(f.vm.uefi ? [`the UEFI variable store (mirrored like a disk onto ${f.target.host}'s ${f.vm.uefi.secureBoot ? 'Secure Boot ' : ''}OVMF build)`] : []),
    ...(f.vm.tpm ? [`the TPM state (keys, NV, PCRs: inside the RAM stream, into a fresh swtpm on ${f.target.host})`] : []),
  ];
}

export function preflightProblems(f: PreflightFacts): string[] {
  const { vm, target: t } = f;
  const out: string[] = [];
  if (vm.state !== 'running' && vm.state !== 'paused') out.push(`VM ${vm.name} is ${vm.state}: only a running VM is live-migrated (start it, or copy a stopped one with its disks)`);
  if (vm.gpuPassthrough) out.push(`VM ${vm.name} has a GPU passed through: a VFIO device cannot be migrated live (shut it down and move it stopped, or remove gpu_passthrough)`);
  const vfs = (vm.virtiofsShares ?? []).map((t) => `"${t}"`).join(', ');
  if (vfs) out.push(`VM ${vm.name} has virtiofs shared folders ${vfs}: QEMU cannot live-migrate vhost-user-fs (shut it down and move it stopped, or set driver = "9p" on the share, restart it and unmount the share in the guest first)`);
  if (vm.clipboard) out.push(`VM ${vm.name} runs with clipboard = true: QEMU 7.2's vdagent chardev cannot be live-migrated (shut it down and move it stopped, or set clipboard = false and restart it first)`);
  if (t.vmNames.includes(vm.name)) out.push(`host ${t.host} already has a VM named ${vm.name}: remove or rename it there first`);
  const need = vm.memoryBytes + MEMORY_HEADROOM;
  if (t.memoryAvailableBytes < need) out.push(`host ${t.host} has ${gib(t.memoryAvailableBytes)} of memory available, the VM needs ${gib(vm.memoryBytes)} plus ${gib(MEMORY_HEADROOM)} headroom: free memory there or lower the VM's memory`);
  if (t.freeDiskBytes !== undefined && t.freeDiskBytes < vm.diskBytes) out.push(`host ${t.host}'s default storage pool has ${gib(t.freeDiskBytes)} free, the VM's disks take ${gib(vm.diskBytes)}: free space there`);
  for (const n of vm.networks) if (!t.networks.includes(n)) out.push(`switch ${n} does not exist on host ${t.host}: create it there (\`nova --host ${t.host} net create ${n}\`, joined to this one by a VXLAN overlay for the same L2)`);
  if (vm.accelerator === 'kvm' && !t.kvm) out.push(`VM ${vm.name} runs with KVM, host ${t.host} has no usable KVM: its CPU state cannot be resumed under TCG`);
  // UEFI and TPM VMs move (the variable store mirrored, the TPM state in the RAM stream) onto the same firmware build and a swtpm.
  if (vm.uefi) {
    if (!vm.uefi.code) out.push(`VM ${vm.name} boots with UEFI but this host's OVMF firmware is gone: reinstall the ovmf package here`);
    else {
      const why = firmwareMismatch(t.host, vm.uefi.secureBoot, vm.uefi.code, vm.uefi.secureBoot ? t.ovmf?.secbootCode : t.ovmf?.code);
      if (why) out.push(why);
    }
  }
  if (vm.tpm && !t.swtpm) out.push(`VM ${vm.name} has a TPM, host ${t.host} has no swtpm: install the swtpm package there (its TPM state moves into a fresh swtpm on ${t.host})`);
  const [sv, tv] = [majorMinor(vm.qemu), majorMinor(t.qemu)];
  if (!tv) out.push(`host ${t.host} has no QEMU: install qemu-system-x86 there`);
  else if (sv && (tv[0] < sv[0] || (tv[0] === sv[0] && tv[1] < sv[1]))) out.push(`host ${t.host} runs QEMU ${t.qemu}, older than this host's ${vm.qemu}: the machine type may not exist there — upgrade QEMU on ${t.host}`);
  return out;
}

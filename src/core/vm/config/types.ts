// Inputs of the pure QEMU config builder: a VM resolved against the host (absolute paths,
// attached NIC, VFIO addresses) plus host facts. No I/O happens in the builder itself.
import type { VmSpec } from '../../../shared/schemas/novafile.js';
import type { PortForward } from '../../../shared/schemas/fields.js';

export interface HostFacts {
  accel: 'kvm' | 'tcg';
  /** OVMF firmware files (Debian ovmf package paths by default). */
  ovmf: { code: string; secbootCode: string; vars: string; msVars: string };
  /** Root starts this QEMU: it drops to this user inside a seccomp sandbox (see ../confine.ts). */
  runAs?: string;
}

export interface ResolvedDisk {
  path: string;
  format: 'qcow2' | 'raw';
  bus: 'virtio' | 'sata' | 'nvme';
  readonly: boolean;
  /** The qcow2/raw format node name (snapshots and QMP address disks by it). */
  node: string;
}

/** device: the QEMU NIC model (virtio-net-pci when absent; e1000e for Windows). */
export type ResolvedNic =
  | { kind: 'none' }
  | { kind: 'user'; mac: string; ports: PortForward[]; device?: string }
  | { kind: 'tap'; mac: string; ifname: string; network: string; device?: string; mtu?: number };

/** A NIC beyond the first: a TAP on another switch, cold-plugged on a hot-plug root port. */
export interface ExtraNic {
  network: string;
  mac: string;
  ifname: string;
  /** The switch's MTU when not 1500 (overlays): given to virtio-net as host_mtu. */
  mtu?: number;
}

/** A shared folder as QEMU gets it: virtiofs (a virtiofsd on `socket`) or 9p (QEMU serves `host`). */
export interface ResolvedShare {
  tag: string;
  host: string;
  readonly: boolean;
  driver: 'virtiofs' | '9p';
  socket?: string;
  /** Why 9p and not virtiofs. */
  reason?: string;
}

/** Files and sockets of one VM, decided by the store (data dir) and the runtime dir. */
export interface RuntimeLayout {
  pidfile: string;
  /** What QEMU itself prints (-D): errors after it daemonized as well as before. */
  qemuLog: string;
  qmp: string;
  qmpEvents: string;
  vncSocket: string;
  serialLog: string;
  /** The serial console as a unix socket (in-app terminal); QEMU also logs it to serialLog. */
  serialSocket: string;
  /** The guest agent's virtio-serial channel (org.qemu.guest_agent.0) as a unix socket. */
  qgaSocket: string;
  /** swtpm control socket (TPM VMs). */
  tpmSocket: string;
  /** Per-VM copy of the UEFI variable store. */
  varsFile: string;
}

export interface VmBuildInput {
  name: string;
  uuid: string;
  spec: VmSpec;
  disks: ResolvedDisk[];
  isos: string[];
  /** Install media: the CDs boot before the disks (the first start of an `install = true` VM). */
  cdFirst?: boolean;
  /**
   * The cloud-init NoCloud seed (a `cidata` ISO): a read-only virtio disk, not a CD — Debian's cloud
   * kernel (genericcloud images) has no AHCI driver, so a q35 CD would be invisible to it.
   */
  seed?: string;
  kernel?: string;
  initrd?: string;
  nic: ResolvedNic;
  /** The declared NICs after the first (`nics = [...]`): net1/nic1, … on pcie.0, part of the definition. */
  moreNics?: ResolvedNic[];
  /** NICs attached to more switches (`vm.nic.attach`): on hot-plug ports, so they can be unplugged live. */
  extraNics?: ExtraNic[];
  /** Shared folders (`shares`); virtiofs ones need the guest RAM on a shared memory backend. */
  shares?: ResolvedShare[];
  /** Host USB devices passed through (usb-host on xhci0). */
  usb?: { bus: number; port: string; qdevId: string }[];
  /** Host PCI addresses handed to vfio-pci (the GPU backend resolves them). */
  vfio: string[];
  /** 64-bit MMIO window for OVMF (large/resizable GPU BARs), from the GPU backend. */
  pciMmio64Mb?: number;
  layout: RuntimeLayout;
  /** Start as a live-migration destination (`-incoming defer`). */
  incoming?: boolean;
  /** With `incoming`: stay paused (-S) once the guest is here, until someone sends `cont`. */
  incomingPaused?: boolean;
}

/** One labelled group of arguments: the golden files show which part produced what. */
export interface ConfigSection {
  name: string;
  args: string[];
}

export interface VmConfig {
  binary: string;
  sections: ConfigSection[];
}

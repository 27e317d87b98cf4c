import { z } from 'zod';
import { networkName, resourceName } from '../names.js';
import { vmSpec } from '../schemas/novafile.js';
import { macAddress, portForward, size } from '../schemas/fields.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Virtual machines (QEMU, no libvirt). `spec` is a NovaFile [vm.NAME] section; inspect returns it
// normalized (the parsed form) so the NovaFile planner can deep-compare.

export const VM_STATES = ['stopped', 'starting', 'running', 'paused', 'shutting-down', 'crashed'] as const;
export const vmState = lazy(() => z.enum(VM_STATES));
export type VmState = z.infer<typeof vmState>;

const name = resourceName;
const byName = lazy(() => z.object({ name }).strict());

export const vmSnapshotInfo = lazy(() => z.object({
  tag: z.string(),
  /** Bytes of saved RAM/device state (0 for disk-only snapshots). */
  vmStateSize: z.number(),
  /** Seconds since the epoch. */
  date: z.number(),
  /** Guest clock at the snapshot, seconds. */
  vmClock: z.number(),
  disks: z.array(z.string()),
  /** Nova keeps the UEFI variable store as it was at this snapshot (restore brings it back). */
  uefiVars: z.boolean().optional(),
}));

/**
 * One disk's external-snapshot chain, base first: each external snapshot froze the layer below
 * and started the overlay named after it; `current` is the one QEMU writes to. Each layer lists
 * the internal snapshots it holds (vmStateSize 0: disk only).
 */
export const vmDiskChain = lazy(() => z.object({
  node: z.string(),
  layers: z.array(z.object({
    file: z.string(),
    format: z.string(),
    /** Bytes the layer takes on the host (qemu-img actual-size). */
    sizeBytes: z.number(),
    virtualSize: z.number(),
    /** The external snapshot that started this overlay (absent on the base image). */
    externalTag: z.string().optional(),
    /** Milliseconds since the epoch, when the filesystem records a file's birth. */
    createdAt: z.number().optional(),
    current: z.boolean(),
    snapshots: z.array(z.object({ tag: z.string(), vmStateSize: z.number(), date: z.number() })),
  })),
}));
export type VmDiskChain = z.infer<typeof vmDiskChain>;

export const vmDiskInfo = lazy(() => z.object({
  path: z.string(),
  format: z.string(),
  virtualSize: z.number(),
  actualSize: z.number(),
  backingFile: z.string().optional(),
  snapshots: z.number(),
}));

/** What the guest agent (qemu-guest-agent) tells about a running guest; agent false says why not. */
export const vmGuestInfo = lazy(() => z.union([
  z.object({
    agent: z.literal(true),
    os: z.string().optional(),
    kernel: z.string().optional(),
    hostname: z.string().optional(),
    interfaces: z.array(z.object({ name: z.string(), mac: z.string().optional(), addresses: z.array(z.string()) })).optional(),
  }),
  z.object({ agent: z.literal(false), reason: z.string() }),
]));
export type VmGuestInfo = z.infer<typeof vmGuestInfo>;

/** One IP address of a running VM: leased by a switch's DHCP, or reported by its guest agent. */
export const vmAddress = lazy(() => z.object({
  ip: z.string(),
  source: z.enum(['dhcp', 'guest-agent']),
  network: z.string().optional(),
  interface: z.string().optional(),
  mac: z.string().optional(),
}));
export type VmAddress = z.infer<typeof vmAddress>;

/**
 * A NIC on one more switch (`vm.nic.attach`), beyond the first NIC of `spec.network`. attached:
 * plugged into the running QEMU (hot-plug, or at start); next-start: recorded, QEMU gets it when
 * the VM starts next (stopped, or the hot-plug could not be done: `reason` says why).
 */
export const vmNicInfo = lazy(() => z.object({
  network: z.string(),
  mac: z.string(),
  state: z.enum(['attached', 'next-start']),
  /** The TAP on the switch's bridge. */
  ifname: z.string().optional(),
  reason: z.string().optional(),
  /** Part of the VM's definition (`nics = [...]` after the first), not a vm.nic.attach. */
  declared: z.boolean().optional(),
  /** The QEMU device model of a declared NIC (virtio-net-pci, e1000e, …). */
  model: z.string().optional(),
}));
export type VmNicInfo = z.infer<typeof vmNicInfo>;

/** A shared folder: the driver it gets (running: the one QEMU has) and how the guest mounts it. */
export const vmShareInfo = lazy(() => z.object({
  tag: z.string(),
  host: z.string(),
  readonly: z.boolean(),
  driver: z.enum(['virtiofs', '9p']),
  /** The command that mounts it in a Linux guest (at /mnt/TAG). */
  mount: z.string(),
  /** Why 9p and not virtiofs (or why the share cannot be set up). */
  reason: z.string().optional(),
}));
export type VmShareInfo = z.infer<typeof vmShareInfo>;

export const vmStopMethod = lazy(() => z.enum(['guest-agent', 'acpi', 'quit', 'kill', 'not-running']));

export const vmInfo = lazy(() => z.object({
  name: z.string(),
  uuid: z.string(),
  project: z.string().optional(),
  spec: vmSpec,
  baseDir: z.string(),
  state: vmState,
  reason: z.string().optional(),
  pid: z.number().optional(),
  accelerator: z.object({ kind: z.enum(['kvm', 'tcg', 'none']), reason: z.string() }),
  mac: z.string(),
  /** The console while running: the VNC unix socket (owner only) and the WebSocket path on Nova's
   * own server (`nova serve`, or the app's console proxy) that relays it after its sign-in checks. */
  console: z.object({ path: z.string(), vncSocket: z.string() }).optional(),
  serialLog: z.string(),
  disks: z.array(z.object({ path: z.string(), format: z.string(), node: z.string() })),
  nic: z.object({ kind: z.enum(['user', 'tap', 'none']), network: z.string().optional(), ifname: z.string().optional() }),
  /** NICs on more switches (vm.nic.attach), each attached live or waiting for the next start. */
  nics: z.array(vmNicInfo).optional(),
  /** Shared folders (`shares`), with the guest's mount command. */
  shares: z.array(vmShareInfo).optional(),
  /** Host USB devices the running QEMU holds (usb-host). */
  usb: z.array(z.object({ id: z.string(), bus: z.number(), address: z.number(), port: z.string() })).optional(),
  tpm: z.boolean(),
  uefi: z.boolean(),
  secureBoot: z.boolean(),
  createdAt: z.number(),
  /** Only from vm.inspect of a running VM: what its guest agent reports, or why there is none. */
  guest: vmGuestInfo.optional(),
  /** Only from vm.inspect of a running VM: the guest's own memory use (balloon statistics, else the guest agent). */
  guestMemory: z.object({ totalBytes: z.number(), availableBytes: z.number(), usedBytes: z.number(), source: z.enum(['balloon', 'guest-agent']) }).optional(),
}));
export type VmInfo = z.infer<typeof vmInfo>;

const presetName = lazy(() => z.enum(['win11', 'gpu-labs']));

export const vmProcedures = {
  'vm.list': procedure({
    summary: 'All VMs with their derived state',
    input: lazy(() => z.object({ project: z.string().optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(vmInfo) })),
  }),
  'vm.create': procedure({
    summary: 'Define a VM from a NovaFile [vm.NAME] section (creates sized disks that do not exist yet)',
    input: lazy(() => z.object({ name, spec: vmSpec, project: z.string().optional(), baseDir: z.string().optional() }).strict()),
    output: vmInfo,
  }),
  'vm.update': procedure({
    summary: 'Replace a stopped VM\'s spec (the NovaFile changed)',
    input: lazy(() => z.object({ name, spec: vmSpec, project: z.string().optional(), baseDir: z.string().optional() }).strict()),
    output: vmInfo,
  }),
  'vm.addresses': procedure({
    summary: 'A running VM\'s IP addresses: DHCP leases of its switches (by MAC) and what its guest agent reports',
    input: byName,
    output: lazy(() => z.object({ name: z.string(), addresses: z.array(vmAddress), reason: z.string().optional() })),
  }),
  'vm.inspect': procedure({ summary: 'One VM: spec, derived state and why, console, disks', input: byName, output: vmInfo }),
  'vm.start': procedure({ summary: 'Start a VM (returns once QMP reports running)', input: byName, output: vmInfo }),
  'vm.stop': procedure({
    summary: 'Shut down through the guest agent when it answers, ACPI power-down otherwise, then quit after the timeout; force quits at once',
    input: lazy(() => z.object({ name, force: z.boolean().optional(), timeoutMs: z.number().int().min(0).max(600_000).optional() }).strict()),
    output: lazy(() => vmInfo.extend({ stoppedBy: vmStopMethod.optional() })),
  }),
  'vm.exec': procedure({
    summary: 'Run a command in a running guest through its guest agent (guest-exec): stdout, stderr, exit code',
    input: lazy(() => z.object({ name, command: z.array(z.string()).min(1), input: z.string().max(1_000_000).optional(), timeoutMs: z.number().int().min(100).max(3_600_000).optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), exitCode: z.number(), signal: z.number().optional(), stdout: z.string(), stderr: z.string(), truncated: z.boolean() })),
  }),
  'vm.ssh': procedure({
    summary: 'Check a running guest\'s SSH target (address from its guest agent or DHCP lease, the key Nova\'s cloud-init seed injected, its pinned host key) and return the OpenSSH argv the caller runs with its own terminal',
    input: lazy(() => z.object({ name, user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'write a Linux user name like "debian"').optional(), command: z.array(z.string()).optional() }).strict()),
    output: lazy(() => z.object({ argv: z.array(z.string()).min(2), user: z.string(), address: z.string(), port: z.number().int(), via: z.enum(['guest-agent', 'dhcp-lease', 'reservation', 'port-forward']), pinned: z.boolean() })),
  }),
  'vm.restart': procedure({ summary: 'Stop (ACPI, then quit) and start again', input: byName, output: vmInfo }),
  'vm.reset': procedure({ summary: 'Hard reset (like the reset button)', input: byName, output: vmInfo }),
  'vm.pause': procedure({ summary: 'Freeze the vCPUs', input: byName, output: vmInfo }),
  'vm.resume': procedure({ summary: 'Continue a paused VM', input: byName, output: vmInfo }),
  'vm.destroy': procedure({ summary: 'Force stop and clear runtime state (keeps the definition and disks)', input: byName, output: vmInfo }),
  'vm.delete': procedure({
    summary: 'Stop and remove a VM; its disks only with disks: true',
    input: lazy(() => z.object({ name, disks: z.boolean().optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), deleted: z.boolean(), removedDisks: z.array(z.string()) })),
  }),
  'vm.nic.attach': procedure({
    summary: 'Attach a VM to one more switch: hot-plugged into a running VM (QMP netdev_add + device_add), else it applies at the next start',
    input: lazy(() => z.object({ name, network: networkName, ports: z.array(portForward).default([]) }).strict()),
    output: lazy(() => vmNicInfo.extend({ name: z.string(), ip: z.string().optional() })),
  }),
  'vm.nic.detach': procedure({
    summary: 'Detach a VM from a switch: unplugged from a running VM (device_del, waiting until the guest lets go), its TAP removed',
    input: lazy(() => z.object({ name, network: networkName }).strict()),
    output: lazy(() => z.object({ name: z.string(), network: z.string(), unplugged: z.boolean() })),
  }),
  'vm.logs': procedure({
    summary: 'Serial console output (last lines)',
    input: lazy(() => z.object({ name, tail: z.number().int().min(1).max(100_000).optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), path: z.string(), lines: z.array(z.string()) })),
  }),
  'vm.console': procedure({
    summary: 'Where to reach the VM console: its VNC unix socket (owner only) and the WebSocket path Nova relays it on',
    input: byName,
    output: lazy(() => z.object({ name: z.string(), path: z.string(), vncSocket: z.string(), serialLog: z.string() })),
  }),
  'vm.balloon': procedure({
    summary: 'Read or set the balloon target of a running VM (needs the guest\'s virtio balloon driver)',
    input: lazy(() => z.object({ name, target: size.optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), actual: z.number(), memory: z.number() })),
  }),
  'vm.stats': procedure({
    summary: 'CPU, memory and disk I/O of a running VM\'s QEMU process (also published as metrics.sample)',
    input: byName,
    output: lazy(() => z.object({ name: z.string(), at: z.number(), cpuTimeMs: z.number(), cpuPercent: z.number().optional(), memoryBytes: z.number(), ioReadBytes: z.number(), ioWriteBytes: z.number() })),
  }),
  'vm.screenshot': procedure({
    summary: 'PNG of the VM display (thumbnails, bug reports)',
    input: lazy(() => z.object({ name, path: z.string().optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), path: z.string(), bytes: z.number() })),
  }),
  'vm.snapshot.create': procedure({
    summary: 'Live internal snapshot (RAM + disks) of a running VM, disk-only when stopped; external: new overlay via blockdev-snapshot-sync',
    input: lazy(() => z.object({ name, tag: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "-" or "_"').optional(), external: z.boolean().optional() }).strict()),
    output: lazy(() => z.object({
      name: z.string(), tag: z.string(), external: z.boolean(), durationMs: z.number(), overlays: z.array(z.string()).optional(),
      /** Live snapshots: were the guest's filesystems frozen by its agent while the snapshot was taken (and if not, why). */
      fsFreeze: z.object({ frozen: z.boolean(), filesystems: z.number().optional(), reason: z.string().optional() }).optional(),
      /** "filesystem": taken with the guest frozen; "crash": as if the power had been cut. */
      consistency: z.enum(['filesystem', 'crash']).optional(),
      /** A UEFI VM: its variable store was kept with the snapshot. */
      uefiVars: z.boolean().optional(),
    })),
  }),
  'vm.snapshot.list': procedure({
    summary: 'Internal snapshots with size and date, and each disk\'s external-snapshot chain',
    input: byName,
    output: lazy(() => z.object({ name: z.string(), snapshots: z.array(vmSnapshotInfo), chain: z.array(vmDiskChain).optional() })),
  }),
  'vm.snapshot.restore': procedure({
    summary: 'Revert to a snapshot (RAM + disks while running, disks when stopped)',
    input: lazy(() => z.object({ name, tag: z.string().min(1) }).strict()),
    /** uefiVars: the UEFI variable store is back as it was at the snapshot. */
    output: lazy(() => z.object({ name: z.string(), tag: z.string(), durationMs: z.number(), uefiVars: z.boolean().optional() })),
  }),
  'vm.snapshot.delete': procedure({
    summary: 'Delete a snapshot',
    input: lazy(() => z.object({ name, tag: z.string().min(1) }).strict()),
    output: lazy(() => z.object({ name: z.string(), tag: z.string(), durationMs: z.number() })),
  }),
  'vm.clone': procedure({
    summary: 'Clone a stopped VM: linked (qcow2 backing files, default) or full copy',
    input: lazy(() => z.object({ source: name, name, full: z.boolean().optional(), project: z.string().optional() }).strict()),
    output: vmInfo,
  }),
  'vm.migrate': procedure({
    summary: 'Live-migrate a running VM: to a tcp: URI (destination prepared with vm.receive) or to another local Nova home',
    input: lazy(() => z
      .object({ name, to: z.string().regex(/^(tcp:[^\s]+|home:\/[^\s]*)$/, 'write to = "tcp:HOST:PORT" or "home:/path/to/other/NOVA_HOME"') })
      .strict()),
    output: lazy(() => z.object({ name: z.string(), to: z.string(), totalMs: z.number(), downtimeMs: z.number().optional(), transferredBytes: z.number().optional() })),
  }),
  'vm.receive': procedure({
    summary: 'Prepare this host to receive a live migration: defines the VM and starts QEMU with -incoming',
    input: lazy(() => z.object({ name, spec: vmSpec, listen: z.string().regex(/^tcp:[^\s]+$/, 'write listen = "tcp:127.0.0.1:PORT"'), project: z.string().optional(), baseDir: z.string().optional(), uuid: z.string().uuid().optional(), mac: macAddress.optional() }).strict()),
    output: vmInfo,
  }),
  'vm.disk.create': procedure({
    summary: 'Create a qcow2 or raw disk image of a size',
    input: lazy(() => z.object({ path: z.string().min(1), size, format: z.enum(['qcow2', 'raw']).default('qcow2'), backing: z.string().optional() }).strict()),
    output: vmDiskInfo,
  }),
  'vm.disk.import': procedure({
    summary: 'Copy/convert an existing image (qcow2, raw, vmdk, vdi, vhdx) to qcow2 or raw',
    input: lazy(() => z.object({ source: z.string().min(1), path: z.string().min(1), format: z.enum(['qcow2', 'raw']).default('qcow2') }).strict()),
    output: vmDiskInfo,
  }),
  'vm.disk.resize': procedure({
    summary: 'Grow a disk image (stopped VMs only)',
    input: lazy(() => z.object({ path: z.string().min(1), size }).strict()),
    output: vmDiskInfo,
  }),
  'vm.disk.info': procedure({
    summary: 'Format, sizes, backing file and snapshot count of an image (works on running images)',
    input: lazy(() => z.object({ path: z.string().min(1) }).strict()),
    output: vmDiskInfo,
  }),
  'vm.presets': procedure({
    summary: 'VM presets the wizard offers (win11, gpu-labs)',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ presets: z.array(z.object({ name: presetName, title: z.string(), description: z.string() })) })),
  }),
  'vm.wizard': procedure({
    summary: 'Render a preset into a [vm.NAME] NovaFile entry with guidance',
    input: lazy(() => z
      .object({
        name,
        preset: presetName,
        memory: size.optional(),
        cpu: z.number().int().min(1).max(512).optional(),
        diskSize: size.optional(),
        iso: z.string().optional(),
        virtioWin: z.string().optional(),
        gpu: z.string().optional(),
        network: z.string().optional(),
      })
      .strict()),
    output: lazy(() => z.object({ name: z.string(), preset: presetName, spec: z.record(z.string(), z.unknown()), toml: z.string(), guidance: z.array(z.string()) })),
  }),
};

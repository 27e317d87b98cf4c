import { z } from 'zod';
import { NETWORK_NAME, RESOURCE_NAME } from '../names.js';
import { cidr, dnsName, ifaceName, ipv4, macAddress, pciAddress, portForward, restartPolicy, size } from './fields.js';
import { lazy } from '../lazy.js';

// The NovaFile, section by section. Objects are strict so typos ("cpus") are errors with a
// suggestion. Backends read the parsed (normalized) types exported at the bottom.

const diskEntry = lazy(() => z.union([
  z.string().min(1),
  z
    .object({
      path: z.string().min(1),
      size: size.optional(),
      format: z.enum(['qcow2', 'raw']).optional(),
      bus: z.enum(['virtio', 'sata', 'nvme']).optional(),
      readonly: z.boolean().optional(),
      /** A base image (e.g. one `nova image vm pull` stored): the disk is created as a qcow2 overlay on it. */
      backing: z.string().min(1).optional(),
    })
    .strict(),
]));

/** One NIC of `nics = [...]`: a switch ("user" for user-mode NAT), its own MAC and device model. */
export const NIC_MODELS = ['virtio', 'e1000e', 'e1000', 'rtl8139'] as const;
export const vmNicEntry = lazy(() => z
  .object({
    network: z.string().min(1),
    mac: macAddress.optional(),
    model: z.enum(NIC_MODELS).optional(),
    ports: z.array(portForward).default([]),
  })
  .strict());

/** `[vm.x.cloud_init]`: a NoCloud seed (a `cidata` ISO) attached at the VM's first boot. */
export const cloudInitSpec = lazy(() => z
  .object({
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'write a Linux user name like "dev"').optional(),
    ssh_authorized_keys: z.array(z.string().regex(/^(ssh-|ecdsa-|sk-)\S+ \S+/, 'write a public key line like "ssh-ed25519 AAAA… you@host"')).default([]),
    packages: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.+:~_-]*$/, 'write a package name like "htop"')).default([]),
    runcmd: z.array(z.union([z.string().min(1), z.array(z.string()).min(1)])).default([]),
    /** Your own user-data file (#cloud-config or a script), instead of the keys above. */
    user_data: z.string().min(1).optional(),
    hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'write a hostname like "web1"').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const mixed = ['user', 'ssh_authorized_keys', 'packages', 'runcmd'].find((k) => {
      const v = c[k as keyof typeof c];
      return Array.isArray(v) ? v.length > 0 : v !== undefined;
    });
    if (c.user_data && mixed) ctx.addIssue({ code: 'custom', path: ['user_data'], message: `user_data replaces the generated #cloud-config: put ${mixed} into that file, or drop user_data` });
  }));
/** A host folder the guest mounts by its tag: virtiofs (virtiofsd) or 9p (QEMU itself). */
export const vmShareEntry = lazy(() => z
  .object({
    host: z.string().min(1),
    tag: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/, 'a tag is 1-36 letters, digits, ".", "_" or "-" (the guest mounts the share by it)'),
    readonly: z.boolean().default(false),
    /** auto: virtiofs where virtiofsd can run, 9p otherwise (and for read-only shares, which 9p enforces). */
    driver: z.enum(['auto', 'virtiofs', '9p']).default('auto'),
  })
  .strict());

export const vmSpec = lazy(() => z
  .object({
    image: z.string().min(1).optional(),
    cpu: z.number().int().min(1).max(512).default(2),
    memory: size.default(2 * 1024 ** 3),
    os: z.enum(['linux', 'windows', 'other']).optional(),
    preset: z.enum(['win11', 'gpu-labs', 'linux']).optional(),
    disks: z.array(diskEntry).default([]),
    iso: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    /** The ISOs install an OS: the first start boots them before the disks; later starts leave them out. */
    install: z.boolean().optional(),
    firmware: z.enum(['uefi', 'bios']).optional(),
    secure_boot: z.boolean().optional(),
    tpm: z.boolean().optional(),
    balloon: z.boolean().default(true),
    kernel: z.string().min(1).optional(),
    initrd: z.string().min(1).optional(),
    cmdline: z.string().optional(),
    gpu_passthrough: z.boolean().default(false),
    gpu: pciAddress.optional(),
    network: z.string().optional(),
    mac: macAddress.optional(),
    ports: z.array(portForward).default([]),
    /** Several NICs, each its own MAC, model and TAP; the first is the VM's main NIC (network/mac/ports). */
    nics: z.array(vmNicEntry).max(8).optional(),
    shares: z.array(vmShareEntry).max(8).optional(),
    /** Host USB devices (vendor:product) passed through at start. */
    usb: z.array(z.string().regex(/^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$/, 'write a USB device as vendor:product, like "046d:c52b" (see `nova usb ls`)')).max(16).optional(),
    /**
     * Clipboard between the VNC console and the guest (QEMU's qemu-vdagent chardev on the
     * com.redhat.spice.0 port; the guest runs spice-vdagent). QEMU 7.2 cannot migrate it: such a VM
     * takes disk-only snapshots and does not live-migrate.
     */
    clipboard: z.boolean().optional(),
    /**
     * The emulated display. "virtio" (virtio-vga): the guest's screen follows the console window's
     * size where the guest has the virtio-gpu driver (Linux), plain VGA modes otherwise. "vga"
     * (standard VGA): fixed modes only. Default: "vga" for Windows (no virtio-gpu driver until
     * virtio-win is installed), "virtio" for every other guest.
     */
    display: z.enum(['virtio', 'vga']).optional(),
    restart: restartPolicy.default('no'),
    hugepages: z.boolean().optional(),
    cloud_init: cloudInitSpec.optional(),
    /** Started at host boot by nova-guests.service (after the networks), shut down cleanly at host shutdown. */
    autostart: z.boolean().optional(),
  })
  .strict()
  .superRefine((vm, ctx) => {
    if (vm.nics) checkNics(vm, ctx);
    vm.shares?.forEach((sh, i) => {
      if (vm.shares!.findIndex((o) => o.tag === sh.tag) < i) ctx.addIssue({ code: 'custom', path: ['shares', i, 'tag'], message: `tag "${sh.tag}" is on an earlier share already: each share needs its own` });
      if (sh.readonly && sh.driver === 'virtiofs') ctx.addIssue({ code: 'custom', path: ['shares', i, 'readonly'], message: 'virtiofsd (QEMU 7.2) cannot enforce a read-only share: use driver = "9p" (or "auto") for readonly = true' });
    });
    if (!vm.image && !vm.kernel && !vm.iso && vm.disks.length === 0 && !vm.preset) {
      ctx.addIssue({ code: 'custom', message: 'nothing to boot: add image = "/path/disk.qcow2", iso = "...", disks = [...] or kernel = "..."', path: [] });
    }
    if (vm.install && !vm.iso) ctx.addIssue({ code: 'custom', path: ['install'], message: 'install = true boots the installer ISO first: add iso = "/path/installer.iso"' });
    if (vm.secure_boot && vm.firmware === 'bios') {
      ctx.addIssue({ code: 'custom', path: ['secure_boot'], message: 'secure_boot needs UEFI: set firmware = "uefi"' });
    }
    if ((vm.initrd || vm.cmdline) && !vm.kernel) {
      ctx.addIssue({ code: 'custom', path: [vm.initrd ? 'initrd' : 'cmdline'], message: 'initrd and cmdline need kernel = "/path/vmlinuz"' });
    }
  }));

function checkNics(vm: { nics?: { network: string; mac?: string }[]; network?: string; mac?: string; ports: string[] }, ctx: z.RefinementCtx): void {
  const nics = vm.nics ?? [];
  for (const key of ['network', 'mac'] as const) {
    if (vm[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} and nics together are ambiguous: move it into the first NIC (nics = [{ ${key} = "..." }, ...])` });
  }
  if (vm.ports.length) ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ports and nics together are ambiguous: give the NIC that forwards them its ports (nics = [{ network = "user", ports = [...] }])' });
  const seen = new Set<string>();
  nics.forEach((n, i) => {
    if (n.network === 'none') ctx.addIssue({ code: 'custom', path: ['nics', i, 'network'], message: 'a NIC cannot be on network "none": leave it out (nics = [] for a VM without network)' });
    // One attachment per VM and switch: two NICs on one switch would share a TAP and an address.
    else if (n.network !== 'user' && seen.has(n.network)) ctx.addIssue({ code: 'custom', path: ['nics', i, 'network'], message: `network "${n.network}" is on an earlier NIC already: one NIC per switch` });
    seen.add(n.network);
    const mac = n.mac?.toLowerCase();
    if (mac && nics.some((o, j) => j < i && o.mac?.toLowerCase() === mac)) ctx.addIssue({ code: 'custom', path: ['nics', i, 'mac'], message: `MAC ${n.mac} is on an earlier NIC already: each NIC needs its own` });
  });
}

export const VOLUME = /^([^:]+):(\/[^:]*)(?::(ro|rw))?$/;
export const limitsSpec = lazy(() => z
  .object({
    cpu: z.number().positive().max(1024).optional(),
    memory: size.optional(),
    pids: z.number().int().min(1).optional(),
    io: z
      .object({ weight: z.number().int().min(10).max(1000).optional(), read_bps: size.optional(), write_bps: size.optional() })
      .strict()
      .optional(),
  })
  .strict());

export const containerSpec = lazy(() => z
  .object({
    capsule: z.string().min(1),
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    volumes: z.array(z.string().regex(VOLUME, 'write a volume like "./api:/srv/api" or "./data:/data:ro"')).default([]),
    network: z.string().optional(),
    ports: z.array(portForward).default([]),
    hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'write a hostname like "api"').optional(),
    workdir: z.string().startsWith('/').optional(),
    user: z.string().optional(),
    read_only: z.boolean().default(false),
    runtime: z.enum(['auto', 'crun', 'runc']).default('auto'),
    restart: restartPolicy.default('no'),
    limits: limitsSpec.default({}),
    /** Started at host boot by nova-guests.service (after the networks), stopped at host shutdown. */
    autostart: z.boolean().optional(),
  })
  .strict());

/** Syntax of an encrypted overlay's peer, "<identity>@<host>:<port>" (the driver checks the identity and resolves the host). */
function encryptedPeerProblem(p: string, driver: 'wireguard' | 'quic'): string | undefined {
  const example = `${driver === 'wireguard' ? 'PUBLICKEY' : 'FINGERPRINT'}@192.0.2.10:${driver === 'wireguard' ? 51820 : 4433}`;
  const at = p.lastIndexOf('@');
  if (/\s/.test(p)) return `"${p}" contains white space: write it as "${example}"`;
  if (at <= 0) return `"${p}" has no ${driver === 'wireguard' ? 'public key' : 'certificate fingerprint'}: write it as "${example}"`;
  if (!/:\d{1,5}$/.test(p.slice(at + 1))) return `"${p.slice(at + 1)}" has no port: write it as "${example}" (the peer's listen_port)`;
  return undefined;
}

export const networkSpec = lazy(() => z
  .object({
    type: z.enum(['bridge', 'overlay']).default('bridge'),
    profile: z.enum(['nat', 'external', 'isolated']).optional(),
    interfaces: z.array(ifaceName).default([]),
    uplink: ifaceName.optional(),
    subnet: cidr.optional(),
    dhcp_range: z.string().regex(/^[\d.]+-[\d.]+$/, 'write a range like "192.168.220.50-192.168.220.150"').optional(),
    dns: z.boolean().default(true),
    domain: dnsName('"lab.nova"').optional(),
    mtu: z.number().int().min(576).max(9000).optional(),
    driver: z.enum(['vxlan', 'quic', 'wireguard']).optional(),
    vni: z.number().int().min(1).max(16_777_215).optional(),
    /** vxlan: the other hosts' underlay IPv4 addresses; wireguard/quic: "<key or fingerprint>@<host>:<port>". */
    peers: z.array(z.string().min(1)).default([]),
    local: ipv4.optional(),
    /** wireguard/quic: this host's UDP listen port on the underlay. */
    listen_port: z.number().int().min(1).max(65535).optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.type === 'overlay' && !n.driver) ctx.addIssue({ code: 'custom', path: ['driver'], message: 'an overlay needs driver = "vxlan" (or "quic"/"wireguard" where supported)' });
    if (n.type === 'bridge' && (n.driver || n.vni || n.peers.length || n.listen_port)) {
      ctx.addIssue({ code: 'custom', path: [n.driver ? 'driver' : n.vni ? 'vni' : n.peers.length ? 'peers' : 'listen_port'], message: 'driver, vni, peers and listen_port are for type = "overlay"' });
    }
    n.peers.forEach((p, i) => {
      if (n.driver === 'vxlan' && !ipv4.safeParse(p).success) ctx.addIssue({ code: 'custom', path: ['peers', i], message: 'a vxlan peer is the other host\'s underlay IPv4 address, e.g. "192.0.2.10"' });
      if (n.driver === 'wireguard' || n.driver === 'quic') {
        const problem = encryptedPeerProblem(p, n.driver);
        if (problem) ctx.addIssue({ code: 'custom', path: ['peers', i], message: problem });
      }
    });
    if (n.profile === 'external' && !n.uplink && n.interfaces.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['uplink'], message: 'profile "external" needs uplink = "enp6s0" (the host interface to enslave)' });
    }
  }));

/**
 * Cluster mode (issue #23, docs/cluster.md): where an item runs. `[placement]` at the top is the
 * default for every item; an item's own `placement = { ... }` overrides it. Only `nova plan|up|down
 * --cluster` reads these keys; without --cluster everything runs on this host.
 */
export const CLUSTER_HOST = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const placementSpec = lazy(() => z
  .object({
    /** spread: the host with the most free memory; pack: the fullest host the item still fits on. */
    strategy: z.enum(['spread', 'pack']).optional(),
    /** Labels the host must have (`nova cluster init|join --label gpu=rtx-4090`). */
    require: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'label names: lowercase letters, digits, "_", "." or "-"'), z.string().max(128)).optional(),
  })
  .strict());
const clusterKeys = {
  /** A cluster host by name, or "auto": placement picks one (never overbooking it). */
  host: lazy(() => z.union([z.literal('auto'), z.string().regex(CLUSTER_HOST, 'write a cluster host name like "node2" (see `nova cluster status`), or "auto"')]).optional()),
  /** Restarted on another host when this one's lease expires (capsules with restart = "always"). */
  ha: lazy(() => z.boolean().optional()),
  placement: lazy(() => placementSpec.optional()),
};
/** The keys only cluster mode reads: stripped before a spec reaches a backend. */
export const CLUSTER_ITEM_KEYS = Object.keys(clusterKeys) as (keyof typeof clusterKeys)[];

const named = <T extends z.ZodType>(pattern: RegExp, hint: string, spec: T) =>
  z.record(z.string().regex(pattern, hint), spec).default({});

export const novafileSchema = lazy(() => z
  .object({
    project: z.string().regex(RESOURCE_NAME, 'use lowercase letters, digits, "-" or "_" (e.g. "dev-lab")').optional(),
    vm: named(RESOURCE_NAME, 'VM names are 1-63 lowercase letters, digits, "-" or "_"', vmSpec.safeExtend(clusterKeys)),
    container: named(RESOURCE_NAME, 'container names are 1-63 lowercase letters, digits, "-" or "_"', containerSpec.safeExtend(clusterKeys)),
    network: named(NETWORK_NAME, 'network names are 1-15 lowercase letters, digits, "-" or "_"', networkSpec),
    placement: placementSpec.optional(),
  })
  .strict());

export type NovaFile = z.infer<typeof novafileSchema>;
export type VmSpec = z.infer<typeof vmSpec>;
export type PlacementSpec = z.infer<typeof placementSpec>;
/** A VM or container as the NovaFile declares it, cluster keys included. */
export type ClusterItemKeys = { host?: string; ha?: boolean; placement?: PlacementSpec };
export type CloudInitSpec = z.infer<typeof cloudInitSpec>;
export type ContainerSpec = z.infer<typeof containerSpec>;
export type NetworkSpec = z.infer<typeof networkSpec>;

/** Allowed keys per section, for "did you mean" suggestions. */
export const SECTION_KEYS: Record<string, string[]> = {
  '': Object.keys(novafileSchema.shape),
  vm: [...Object.keys(vmSpec.shape), ...CLUSTER_ITEM_KEYS],
  container: [...Object.keys(containerSpec.shape), ...CLUSTER_ITEM_KEYS],
  placement: Object.keys(placementSpec.shape),
  network: Object.keys(networkSpec.shape),
  limits: Object.keys(limitsSpec.shape),
  disk: ['path', 'size', 'format', 'bus', 'readonly', 'backing'],
  cloud_init: Object.keys(cloudInitSpec.shape),
  nics: Object.keys(vmNicEntry.shape),
  shares: Object.keys(vmShareEntry.shape),
  io: ['weight', 'read_bps', 'write_bps'],
};

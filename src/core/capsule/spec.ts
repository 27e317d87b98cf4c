// The OCI runtime config (config.json) as data: a pure function of the capsule's normalized
// spec and a few host facts, golden-tested. No I/O here.
import type { ContainerSpec } from '../../shared/schemas/novafile.js';

export interface ImageDefaults {
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workdir?: string;
}

export interface ResolvedVolume {
  source: string;
  destination: string;
  readonly: boolean;
}

export interface SpecContext {
  name: string;
  id: string;
  spec: ContainerSpec;
  image: ImageDefaults;
  volumes: ResolvedVolume[];
  user: { uid: number; gid: number; additionalGids?: number[] };
  /** Network namespace to join (a capsule on a network); undefined → a fresh one with loopback. */
  netnsPath?: string;
  /** A user's capsule whose supervisor holds its netns (pasta or a privd veth): the capsule joins it. */
  inheritNetns?: boolean;
  /** Host files bind-mounted over /etc/hosts, /etc/hostname and (with a network) /etc/resolv.conf. */
  etc: { hosts: string; hostname: string; resolv?: string };
  /** Device (major:minor) holding the capsule's files, for io read_bps/write_bps. */
  ioDevice?: { major: number; minor: number };
  /** undefined: no cgroup for this capsule (an ordinary user without delegation; limits refused earlier). */
  cgroupsPath?: string;
  /** An ordinary user's capsule: a user namespace with these (identity, see rootless.ts) mappings. */
  userns?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Docker's default capability set: enough for ordinary services, nothing that reaches the host.
export const DEFAULT_CAPABILITIES = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const CPU_PERIOD_US = 100_000;

/** The command a capsule runs: NovaFile command (a string runs under /bin/sh -c) or the image's. */
export function capsuleArgs(spec: ContainerSpec, image: ImageDefaults): string[] | undefined {
  const entrypoint = image.entrypoint ?? [];
  if (typeof spec.command === 'string') return ['/bin/sh', '-c', spec.command];
  if (Array.isArray(spec.command)) return [...spec.command];
  const args = [...entrypoint, ...(image.cmd ?? [])];
  return args.length ? args : undefined;
}

/** Image env, then NovaFile env (wins), with a PATH and HOSTNAME. */
export function capsuleEnv(spec: ContainerSpec, image: ImageDefaults, hostname: string): string[] {
  const env = new Map<string, string>([['PATH', DEFAULT_PATH]]);
  for (const kv of image.env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  env.set('HOSTNAME', hostname);
  env.set('container', 'nova');
  for (const [k, v] of Object.entries(spec.env)) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function buildOciSpec(ctx: SpecContext): Record<string, unknown> {
  const { spec } = ctx;
  const hostname = spec.hostname ?? ctx.name;
  const args = capsuleArgs(spec, ctx.image);
  if (!args) throw new Error('no command'); // callers check first and raise INVALID_INPUT
  const caps = ctx.user.uid === 0 ? DEFAULT_CAPABILITIES : [];
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // sysfs can only be mounted by the owner of the netns: a capsule in its supervisor's gets the host's, read-only (as Podman does).
    ctx.inheritNetns
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: ctx.etc.hosts, options: ['bind', 'ro', 'nosuid', 'nodev'] },
    { destination: '/etc/hostname', type: 'bind', source: ctx.etc.hostname, options: ['bind', 'ro', 'nosuid', 'nodev'] },
  ];
  if (ctx.etc.resolv) mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: ctx.etc.resolv, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  for (const v of ctx.volumes) {
    mounts.push({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', v.readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] });
  }

  // Device rules live in the devices cgroup; a user namespace cannot create device nodes anyway.
  const resources: Record<string, unknown> = ctx.userns ? {} : { devices: [{ allow: false, access: 'rwm' }] };
  const { limits } = spec;
  if (limits.memory !== undefined) resources.memory = { limit: limits.memory, swap: limits.memory };
  if (limits.cpu !== undefined) resources.cpu = { quota: Math.round(limits.cpu * CPU_PERIOD_US), period: CPU_PERIOD_US };
  if (limits.pids !== undefined) resources.pids = { limit: limits.pids };
  if (limits.io) {
    const io: Record<string, unknown> = {};
    if (limits.io.weight !== undefined) io.weight = limits.io.weight;
    const dev = ctx.ioDevice;
    if (dev && limits.io.read_bps !== undefined) io.throttleReadBpsDevice = [{ major: dev.major, minor: dev.minor, rate: limits.io.read_bps }];
    if (dev && limits.io.write_bps !== undefined) io.throttleWriteBpsDevice = [{ major: dev.major, minor: dev.minor, rate: limits.io.write_bps }];
    if (Object.keys(io).length) resources.blockIO = io;
  }

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: ctx.user.uid, gid: ctx.user.gid, ...(ctx.user.additionalGids?.length ? { additionalGids: ctx.user.additionalGids } : {}) },
      args,
      env: capsuleEnv(spec, ctx.image, hostname),
      cwd: spec.workdir ?? ctx.image.workdir ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: spec.read_only },
    hostname,
    mounts,
    annotations: { 'org.nova.capsule': ctx.name, 'org.nova.id': ctx.id },
    linux: {
      ...(ctx.cgroupsPath ? { cgroupsPath: ctx.cgroupsPath, resources } : {}),
      ...(ctx.userns ? { uidMappings: ctx.userns.uidMappings, gidMappings: ctx.userns.gidMappings } : {}),
      namespaces: [
        ...(ctx.userns ? [{ type: 'user' }] : []),
        { type: 'pid' },
        // Left out: the capsule stays in the netns its runtime runs in, the supervisor's.
        ...(ctx.inheritNetns ? [] : [ctx.netnsPath ? { type: 'network', path: ctx.netnsPath } : { type: 'network' }]),
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
      ],
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

/** /etc/hosts for a capsule: loopback plus its own name (and its network address when it has one). */
export function hostsFile(hostname: string, ip?: string): string {
  return [`127.0.0.1\tlocalhost`, `::1\tlocalhost ip6-localhost ip6-loopback`, ip ? `${ip}\t${hostname}` : `127.0.1.1\t${hostname}`, ''].join('\n');
}

export function resolvConf(dns: string[], search?: string): string {
  return [...(search ? [`search ${search}`] : []), ...dns.map((d) => `nameserver ${d}`), ''].join('\n');
}

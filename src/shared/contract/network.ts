import { z } from 'zod';
import { networkName, resourceName } from '../names.js';
import { networkSpec } from '../schemas/novafile.js';
import { dnsName, ifaceName, ipv4, macAddress, portForward } from '../schemas/fields.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Networks: switches (bridges, overlays), attachments (TAP for VMs, veth for capsules), port
// forwards, DNS records, DHCP leases, packet captures and interface monitoring.

export const networkState = lazy(() => z.enum(['Active', 'Degraded', 'Down']));
export const owner = lazy(() => z.object({ kind: z.enum(['vm', 'capsule']), name: resourceName }).strict());
export type NetworkOwner = z.infer<typeof owner>;

export const forwardInfo = lazy(() => z.object({
  owner,
  /** As declared: "8080:80", "8080:80/udp", "127.0.0.1:8080:80". */
  port: z.string(),
  target: z.string().optional(),
}));

export const attachmentInfo = lazy(() => z.object({
  owner,
  ifname: z.string(),
  mac: z.string(),
  ip: z.string().optional(),
  attached: z.boolean(),
  /** From the kernel: something holds the other end (QEMU opened the TAP; the veth peer is up). */
  carrier: z.boolean().optional(),
  /** The kernel's operstate of the link (UP, DOWN, LOWERLAYERDOWN, …). */
  operstate: z.string().optional(),
  /** Capsules: the netns path the peer lives in. */
  netns: z.string().optional(),
}));

export const dnsRecord = lazy(() => z
  .object({
    name: dnsName('"db" or "api.lab"'),
    ip: ipv4.optional(),
    /** SRV record: "_http._tcp" style service, answered with target:port. */
    service: z.string().regex(/^_[a-z0-9-]+\._(tcp|udp)$/, 'write a service like "_http._tcp"').optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** Reaches dnsmasq's --srv-host argument: a DNS name only (a comma would inject fields). */
    target: dnsName('"web.lab.nova"').optional(),
  })
  .strict()
  .refine((r) => r.ip || (r.service && r.port), 'a record needs ip = "10.0.0.5", or service + port (+ target) for SRV'));

/** Whether this host can run an overlay driver, which way, and if not why and the fix (overlay/driver.ts DriverSupport). */
export const overlayDriverSupport = lazy(() => z.object({
  ok: z.boolean(),
  mode: z.string().optional(),
  reason: z.string(),
  fix: z.string().optional(),
  remedy: z.object({ debian: z.string(), arch: z.string() }).optional(),
}));

/** An overlay's tunnel as its driver sees it on this host (src/core/network/overlay/driver.ts). */
export const overlayInfo = lazy(() => z.object({
  driver: z.enum(['vxlan', 'quic', 'wireguard']),
  /** How it runs here: "kernel", "wireguard-go (userspace)" … */
  mode: z.string().optional(),
  /** What the other hosts list in their peers: this host's public key or certificate fingerprint. */
  identity: z.string().optional(),
  listenPort: z.number().int().optional(),
  tunnelAddress: z.string().optional(),
  mtu: z.number().int(),
  peers: z.array(z.object({
    peer: z.string(),
    endpoint: z.string().optional(),
    reachable: z.boolean(),
    /** Epoch ms since when `reachable` holds (last handshake …), when known. */
    since: z.number().optional(),
    rxBytes: z.number().optional(),
    txBytes: z.number().optional(),
  })),
}));

export const networkInfo = lazy(() => z.object({
  name: z.string(),
  project: z.string().optional(),
  spec: networkSpec,
  state: networkState,
  reason: z.string().optional(),
  /** Effective values (defaults applied): what the host really has. */
  bridge: z.string(),
  subnet: z.string().optional(),
  gateway: z.string().optional(),
  dhcpRange: z.string().optional(),
  domain: z.string(),
  attached: z.number().int(),
  attachments: z.array(attachmentInfo),
  forwards: z.array(forwardInfo),
  /** As saved (output only: a file from an older version may hold values refused today). */
  records: z.array(z.object({ name: z.string(), ip: z.string().optional(), service: z.string().optional(), port: z.number().optional(), target: z.string().optional() })),
  createdAt: z.number(),
  /** Overlays: the tunnel and its peers on this host. */
  overlay: overlayInfo.optional(),
}));
export type NetworkInfo = z.infer<typeof networkInfo>;

export const leaseInfo = lazy(() => z.object({ mac: z.string(), ip: z.string(), hostname: z.string().optional(), expires: z.number().optional(), static: z.boolean() }));

export const captureInfo = lazy(() => z.object({
  id: z.string(),
  network: z.string(),
  file: z.string(),
  running: z.boolean(),
  size: z.number(),
  packets: z.number(),
  first: z.number().optional(),
  last: z.number().optional(),
}));

export const monitorSettings = lazy(() => z
  .object({
    pollSeconds: z.number().int().min(5).max(60).default(5),
    /** Seconds without carrier or counters before the interface is declared offline. */
    offlineThreshold: z.number().int().min(1).max(100).default(3),
    notify: z.boolean().default(true),
  })
  .strict());

export const interfaceStatus = lazy(() => z.object({
  interface: z.string(),
  settings: monitorSettings,
  online: z.boolean(),
  since: z.number().optional(),
  rxBytes: z.number().optional(),
  txBytes: z.number().optional(),
  rxPackets: z.number().optional(),
  txPackets: z.number().optional(),
  rxErrors: z.number().optional(),
  txErrors: z.number().optional(),
  rxRate: z.number().optional(),
  txRate: z.number().optional(),
  at: z.number().optional(),
}));

const byName = lazy(() => z.object({ name: networkName }).strict());
const ok = lazy(() => z.object({ ok: z.literal(true) }));

export const networkProcedures = {
  'network.create': procedure({
    summary: 'Create a switch (bridge or overlay) with NAT, DHCP and DNS as declared',
    input: lazy(() => z.object({ name: networkName, spec: networkSpec, project: z.string().optional() }).strict()),
    output: networkInfo,
  }),
  'network.update': procedure({
    summary: 'Change dns, domain or dhcp_range of a switch in place (attachments stay up)',
    input: lazy(() => z.object({ name: networkName, spec: networkSpec, project: z.string().optional() }).strict()),
    output: networkInfo,
  }),
  'network.inspect': procedure({ summary: 'One switch with its state derived from the host', input: byName, output: networkInfo }),
  'network.list': procedure({
    summary: 'All switches with their state',
    input: lazy(() => z.object({ project: z.string().optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(networkInfo) })),
  }),
  'network.drivers': procedure({
    summary: 'Which overlay drivers this host can run, which way, and if not why (probes only, changes nothing)',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ drivers: z.object({ vxlan: overlayDriverSupport, quic: overlayDriverSupport, wireguard: overlayDriverSupport }) })),
  }),
  'network.rm': procedure({
    summary: 'Delete a switch and everything Nova made for it (CONFLICT while VMs or capsules are attached, unless force)',
    input: lazy(() => z.object({ name: networkName, force: z.boolean().default(false) }).strict()),
    output: ok,
  }),
  'network.hydrate': procedure({
    summary: 'Converge the host with the saved switches: recreate, reapply, remove orphans; report the switches it could not repair',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({
      recreated: z.array(z.string()),
      repaired: z.array(z.string()),
      removed: z.array(z.string()),
      /** Switches hydrate could not repair (the others were repaired all the same). */
      failed: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
    })),
  }),
  'network.attach': procedure({
    summary: 'Attach a VM (TAP) or capsule (veth into its netns) to a switch',
    input: lazy(() => z
      .object({
        network: networkName,
        owner,
        netns: z.string().startsWith('/', 'netns is a path like /run/netns/web or /proc/123/ns/net').optional(),
        mac: macAddress.optional(),
        /** The address the owner keeps (a VM moving in from another host on the same segment): taken when free here. */
        ip: ipv4.optional(),
        /** Name inside the netns (capsules); default eth0. */
        peer: ifaceName.optional(),
        ports: z.array(portForward).default([]),
      })
      .strict()),
    output: lazy(() => z.object({
      ifname: z.string(),
      mac: z.string(),
      ip: z.string().optional(),
      gateway: z.string().optional(),
      prefix: z.number().optional(),
      /** Nameservers for the guest's resolv.conf (the switch's dnsmasq). */
      dns: z.array(z.string()).optional(),
      /** The segment's MTU when it is not 1500 (overlays): the guest NIC must use it (virtio-net host_mtu). */
      mtu: z.number().int().positive().optional(),
      /** Search domain matching `dns`. */
      domain: z.string().optional(),
      peer: z.string().optional(),
    })),
  }),
  'network.detach': procedure({
    summary: 'Remove an attachment (its address stays reserved for the owner)',
    input: lazy(() => z.object({ network: networkName, owner, release: z.boolean().default(false) }).strict()),
    output: ok,
  }),
  'network.forward.add': procedure({
    summary: 'Port forward host:guest to an attached VM or capsule (DNAT, hairpin)',
    input: lazy(() => z.object({ network: networkName, owner, port: portForward }).strict()),
    output: forwardInfo,
  }),
  'network.forward.rm': procedure({
    summary: 'Remove a port forward',
    input: lazy(() => z.object({ network: networkName, owner, port: portForward }).strict()),
    output: ok,
  }),
  'network.forward.list': procedure({
    summary: 'Port forwards of one switch (or all)',
    input: lazy(() => z.object({ network: networkName.optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(forwardInfo.extend({ network: z.string() })) })),
  }),
  'network.dns.add': procedure({ summary: 'Register a host or service record in the switch DNS', input: lazy(() => z.object({ network: networkName, record: dnsRecord }).strict()), output: ok }),
  'network.dns.rm': procedure({ summary: 'Remove a DNS record by name', input: lazy(() => z.object({ network: networkName, name: z.string() }).strict()), output: ok }),
  'network.interfaces': procedure({
    summary: 'Host interfaces (uplink and monitoring pickers): kind, state, addresses, bridge, whether Nova made it',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({
      items: z.array(
        z.object({
          name: z.string(),
          kind: z.string().optional(),
          state: z.string(),
          mac: z.string().optional(),
          addresses: z.array(z.string()),
          master: z.string().optional(),
          nova: z.boolean(),
        }),
      ),
    })),
  }),
  'network.leases': procedure({ summary: 'DHCP leases and static reservations', input: byName, output: lazy(() => z.object({ items: z.array(leaseInfo) })) }),
  'network.capture.start': procedure({
    summary: 'Capture packets on a switch (tcpdump) into the captures folder',
    input: lazy(() => z
      .object({
        network: networkName,
        duration: z.number().int().min(1).max(86_400).optional(),
        filter: z.string().max(500).optional(),
        interface: ifaceName.optional(),
      })
      .strict()),
    output: captureInfo,
  }),
  'network.capture.stop': procedure({ summary: 'Stop a running capture', input: lazy(() => z.object({ id: z.string() }).strict()), output: captureInfo }),
  'network.capture.list': procedure({
    summary: 'Capture files with size, packet count and first/last time',
    input: lazy(() => z.object({ network: networkName.optional() }).strict().default({})),
    output: lazy(() => z.object({ dir: z.string(), items: z.array(captureInfo) })),
  }),
  'network.capture.rm': procedure({ summary: 'Delete a capture file', input: lazy(() => z.object({ id: z.string() }).strict()), output: ok }),
  'network.monitor.list': procedure({
    summary: 'Monitored interfaces: settings, online state, last counters and rates',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ items: z.array(interfaceStatus) })),
  }),
  'network.monitor.set': procedure({
    summary: 'Per-interface poll interval, offline threshold and notification mute (persisted)',
    input: lazy(() => z
      .object({
        interface: ifaceName,
        pollSeconds: z.number().int().min(5).max(60).optional(),
        offlineThreshold: z.number().int().min(1).max(100).optional(),
        notify: z.boolean().optional(),
        remove: z.boolean().optional(),
      })
      .strict()),
    output: lazy(() => interfaceStatus.partial().extend({ interface: z.string() })),
  }),
};

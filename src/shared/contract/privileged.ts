import type { Method } from '../contract.js';

// Which procedures need steps the kernel reserves for root, declared beside the contract. The
// engine's one guard reads this: the step runs directly when the process holds `caps` (root on a
// server, or CAP_NET_ADMIN granted to the app), otherwise through `nova privd`, which asks polkit
// for `action` on the caller's behalf.

/** polkit action ids (resources/polkit/org.nova.policy): one per verb group of `nova privd`. */
export const POLKIT_ACTIONS = {
  networks: 'org.nova.manage-networks',
  attach: 'org.nova.attach',
  capture: 'org.nova.capture',
  devices: 'org.nova.manage-devices',
  system: 'org.nova.manage-system',
  /** `gpu.bind --force`: taking a device the host is using (the boot display). Always the admin password, never kept. */
  devicesForce: 'org.nova.manage-devices-force',
} as const;
export type VerbGroup = keyof typeof POLKIT_ACTIONS;

export type CapName = 'CAP_NET_ADMIN' | 'CAP_NET_RAW' | 'CAP_SYS_ADMIN' | 'CAP_DAC_OVERRIDE';

/** VFIO moves write root-only files under /sys/bus/pci (mode 0200): root, or DAC override. */
export const DEVICE_CAPS: CapName[] = ['CAP_DAC_OVERRIDE'];

export interface PrivilegedStep {
  group: VerbGroup;
  caps: CapName[];
  /** Only root itself does it directly (files under /etc and /usr, systemctl): capabilities are not enough. */
  root?: true;
  /** False when this input needs no privilege (a staging --destdir). */
  when?(input: Record<string, unknown>): boolean;
  /** A stricter group for some inputs (`gpu.bind --force`): its action is needed as well. */
  stricter?(input: Record<string, unknown>): VerbGroup | undefined;
  /** Reads as the subject of a sentence: "Creating network lab". */
  action(input: Record<string, unknown>): string;
}

const named = (verb: string) => (i: Record<string, unknown>) => `${verb}${typeof i.name === 'string' ? ` ${i.name}` : ''}`;
const onNet = (verb: string) => (i: Record<string, unknown>) => `${verb}${typeof i.network === 'string' ? ` ${i.network}` : ''}`;
const net: CapName[] = ['CAP_NET_ADMIN'];
/** `nova system install --destdir DIR` stages files under DIR: no privilege needed. */
const onHost = (i: Record<string, unknown>) => !i.destdir;
const gpus = (verb: string) => (i: Record<string, unknown>) => `${verb} ${Array.isArray(i.addresses) ? i.addresses.join(', ') : 'GPUs'}`;

export const PRIVILEGED_STEPS: Partial<Record<Method, PrivilegedStep>> = {
  'network.create': { group: 'networks', caps: net, action: named('Creating network') },
  'network.update': { group: 'networks', caps: net, action: named('Changing network') },
  'network.rm': { group: 'networks', caps: net, action: named('Removing network') },
  // It converges every user's switches, so through the helper it is a system verb (org.nova.manage-system).
  'network.hydrate': { group: 'system', caps: net, action: () => 'Recreating the declared networks (hydrate)' },
  'network.dns.add': { group: 'networks', caps: net, action: onNet('Adding a DNS record on') },
  'network.dns.rm': { group: 'networks', caps: net, action: onNet('Removing a DNS record on') },
  'network.attach': { group: 'attach', caps: net, action: onNet('Attaching to network') },
  'network.detach': { group: 'attach', caps: net, action: onNet('Detaching from network') },
  'network.forward.add': { group: 'attach', caps: net, action: onNet('Adding a port forward on') },
  'network.forward.rm': { group: 'attach', caps: net, action: onNet('Removing a port forward on') },
  'network.capture.start': { group: 'capture', caps: ['CAP_NET_ADMIN', 'CAP_NET_RAW'], action: onNet('Capturing packets on') },
  'network.capture.stop': { group: 'capture', caps: ['CAP_NET_ADMIN', 'CAP_NET_RAW'], action: () => 'Stopping a packet capture' },
  'gpu.bind': { group: 'devices', caps: DEVICE_CAPS, stricter: (i) => (i.force === true ? 'devicesForce' : undefined), action: gpus('Binding') },
  'gpu.unbind': { group: 'devices', caps: DEVICE_CAPS, action: gpus('Unbinding') },
  'gpu.reattach': { group: 'devices', caps: DEVICE_CAPS, action: gpus('Reattaching') },
  'gpu.reset': { group: 'devices', caps: DEVICE_CAPS, action: gpus('Resetting') },
  'system.install': { group: 'system', caps: [], root: true, when: onHost, action: () => "Installing Nova's system integration" },
  'system.uninstall': { group: 'system', caps: [], root: true, when: onHost, action: () => "Removing Nova's system integration" },
};

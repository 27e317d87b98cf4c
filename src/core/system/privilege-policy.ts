// Which procedures change the host in ways only root can (bridges, nftables, dnsmasq, tcpdump).
// The dispatcher checks these BEFORE the handler runs, so an unprivileged caller gets PERMISSION
// with the exact command to run and nothing is half-applied. Backends add one line each; areas
// that check finer-grained themselves (GPU: fixture sysfs trees are writable) stay out.
import type { Method } from '../../shared/contract.js';
import type { CallContext, Guard } from '../rpc/dispatcher.js';
import { cliCommandLine, requireRoot } from '../sys/privilege.js';
import type { CapName, Identity } from '../sys/privilege.js';

interface Rule {
  caps: CapName[];
  action(input: Record<string, unknown>): string;
}

const named = (verb: string) => (i: Record<string, unknown>) => `${verb}${typeof i.name === 'string' ? ` ${i.name}` : ''}`;
const net: CapName[] = ['CAP_NET_ADMIN'];

export const PRIVILEGED: Partial<Record<Method, Rule>> = {
  'network.create': { caps: net, action: named('Creating network') },
  'network.rm': { caps: net, action: (i) => `Removing network${Array.isArray(i.names) ? ` ${i.names.join(', ')}` : typeof i.name === 'string' ? ` ${i.name}` : ''}` },
  'network.hydrate': { caps: net, action: () => 'Recreating the declared networks (hydrate)' },
  'network.attach': { caps: net, action: (i) => `Attaching to network ${String(i.network ?? '')}`.trim() },
  'network.detach': { caps: net, action: (i) => `Detaching from network ${String(i.network ?? '')}`.trim() },
  'network.forward.add': { caps: net, action: () => 'Adding a port forward (nftables)' },
  'network.forward.rm': { caps: net, action: () => 'Removing a port forward (nftables)' },
  'network.dns.add': { caps: net, action: () => 'Adding a DNS record (dnsmasq)' },
  'network.dns.rm': { caps: net, action: () => 'Removing a DNS record (dnsmasq)' },
  'network.capture.start': { caps: ['CAP_NET_ADMIN', 'CAP_NET_RAW'], action: () => 'Starting a packet capture (tcpdump)' },
  'network.capture.stop': { caps: ['CAP_NET_ADMIN', 'CAP_NET_RAW'], action: () => 'Stopping a packet capture' },
};

/** What to tell the user to run: the same CLI command with sudo, or a root engine for the app. */
function retryFor(ctx: CallContext): string | undefined {
  if (ctx.transport === 'inproc') return cliCommandLine();
  return undefined;
}

export function privilegeGuard(identity?: () => Identity): Guard {
  return (method, input, ctx) => {
    const rule = PRIVILEGED[method];
    if (!rule) return;
    const action = rule.action((input ?? {}) as Record<string, unknown>);
    requireRoot(action, { caps: rule.caps, retry: retryFor(ctx), ...(identity ? { identity: identity() } : {}) });
  };
}

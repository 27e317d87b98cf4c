import type { Runner } from './runner.js';

// Runs every host command inside one network namespace. Tests give a whole engine its own
// namespace (bridges, nft table, dnsmasq all live there, the host is never touched); the product
// uses it to manage a namespace-scoped lab (NOVA_NETNS).

const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** argv prefixed with `ip netns exec NS` (unchanged when ns is undefined). */
export function netnsArgv(ns: string | undefined, argv: readonly string[]): string[] {
  if (!ns) return [...argv];
  if (!NETNS_NAME.test(ns)) throw new Error(`invalid network namespace name "${ns}"`);
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** A runner whose commands all run inside network namespace `ns` (a name under /run/netns). */
export function netnsRunner(inner: Runner, ns: string): Runner & { netns: string } {
  netnsArgv(ns, []); // validate early
  return {
    netns: ns,
    run: (argv, opts) => inner.run(netnsArgv(ns, argv), opts),
  };
}

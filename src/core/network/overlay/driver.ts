import type { NetworkSpec } from '../../../shared/schemas/novafile.js';
import type { RunOptions, RunResult } from '../../sys/runner.js';
import type { NetCtx } from '../context.js';
import type { Link } from '../links.js';
import type { NetworkState } from '../store.js';

// The overlay driver interface. An overlay is a switch (a bridge, see switches.ts) plus one
// driver-owned L2 port that carries its frames to the other hosts: a VXLAN link (vxlan), VXLAN
// over a WireGuard device (wireguard), a TAP fed by the QUIC helper (quic). Everything around it
// (bridge, addresses, dnsmasq, attachments, rules, intents) is the switch code's and is the same
// for every driver. A driver never touches the bridge except to enslave its port to it.
//
// Lifecycle, as the switch code calls it:
//   create:  support() (HOST_UNSUPPORTED when !ok) → check(spec) (INVALID_INPUT, nothing made)
//            → bridge made with mtu l2Mtu(spec) → create(n, undo) → dnsmasq …
//   status:  problems(n, links) feeds Active/Degraded/Down; status(n) gives the per-peer view.
//   hydrate: repair(n, links) after the bridge exists (engine/helper start, `nova net hydrate`,
//            and the overlay supervisor when alive(n) says the tunnel died).
//   update:  setPeers(n, spec) when only `peers` changed (optional).
//   remove:  remove(n) before the bridge goes; must succeed on a half-made overlay.

export type OverlayDriverName = NetworkSpec extends { driver?: infer D } ? Exclude<D, undefined> : never;

/** Runs a host command (a NetCtx's run, or the engine runner when planning without a namespace). */
export type RunFn = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Whether this host can run a driver, which way, and if not why and how to fix it. Never changes the host. */
export interface DriverSupport {
  ok: boolean;
  /** How it runs here when ok: "kernel", "wireguard-go (userspace)", "nova-quic-tunnel" … */
  mode?: string;
  reason: string;
  fix?: string;
  /** Install commands per distribution, when a package is what is missing. */
  remedy?: { debian: string; arch: string };
}

/** One peer as a driver sees it right now. */
export interface PeerStatus {
  /** As declared in spec.peers. */
  peer: string;
  /** Underlay endpoint in use ("192.0.2.7:51820"), when known. */
  endpoint?: string;
  reachable: boolean;
  /** Epoch ms since when `reachable` holds, when known (last handshake, last datagram …). */
  since?: number;
  rxBytes?: number;
  txBytes?: number;
}

/** The driver's own view of an overlay on this host (shown by `nova net inspect`). */
export interface OverlayStatus {
  driver: OverlayDriverName;
  mode?: string;
  /** This host's identity peers must list: a WireGuard public key, a certificate fingerprint. */
  identity?: string;
  listenPort?: number;
  /** This host's address inside the tunnel, when the driver uses one. */
  tunnelAddress?: string;
  /** The L2 MTU set on the bridge, the tunnel's L2 port and guest NICs. */
  mtu: number;
  peers: PeerStatus[];
}

export interface OverlayDriver {
  readonly name: OverlayDriverName;
  /** Encrypts guest traffic on the underlay (refused fallbacks must never pick a clear driver). */
  readonly encrypted: boolean;
  /** Alias parts (`nova:<id>:<net>:<part>`) of the links this driver creates: hydrate keeps them. */
  readonly linkParts: readonly string[];
  support(run: RunFn): Promise<DriverSupport>;
  /** Everything checkable before the host is touched (peer syntax, keys, names resolve, ports). Throws INVALID_INPUT naming the field. */
  check(ctx: NetCtx, name: string, spec: NetworkSpec): Promise<void>;
  /** MTU of the L2 segment (bridge, driver port, guest NICs) for this spec. */
  l2Mtu(spec: NetworkSpec): number;
  /** Makes the tunnel and its L2 port on bridge `n.name`; hands each reversal to `undo` as soon as the step is done. */
  create(ctx: NetCtx, n: NetworkState, undo: (fn: () => Promise<void>) => void): Promise<void>;
  /** Removes everything the driver made for `n` (links, processes, runtime files; keys stay). Idempotent. */
  remove(ctx: NetCtx, n: NetworkState): Promise<void>;
  /** What is wrong on the host, for Degraded (empty: fine). `links`: the host's links by name. */
  problems(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<string[]>;
  status(ctx: NetCtx, n: NetworkState): Promise<OverlayStatus>;
  /** Puts back what vanished (tunnel process, device, stacked links, peers). True when it changed something. */
  repair(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<boolean>;
  /** Cheap liveness check (a pid, a link), polled by the overlay supervisor; false → repair(). */
  alive?(ctx: NetCtx, n: NetworkState): Promise<boolean>;
  /**
   * Names across hosts (dns = true): the address inside the tunnel where this host answers its
   * guests' names to the other hosts (UDP 5353), and the peers' such addresses. Without it, an
   * overlay's names resolve on their own host only.
   */
  dnsAddresses?(ctx: NetCtx, n: NetworkState): Promise<{ self: string; peers: string[] } | undefined>;
  /** Changes peers in place (spec.peers differs from n.spec.peers, nothing else); `n` still has the old spec. */
  setPeers?(ctx: NetCtx, n: NetworkState, spec: NetworkSpec): Promise<void>;
}

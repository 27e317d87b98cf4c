import type { ResourceSummary } from '../../../shared/contract/resource.js';

// Topology as data: resources + attachments → positioned nodes and edges (pure, tested).

export type TopoKind = 'uplink' | 'network' | 'vm' | 'capsule';
export interface TopoNodeData {
  kind: TopoKind;
  name: string;
  state?: string;
  reason?: string;
  detail?: string;
  [key: string]: unknown;
}
export interface TopoNode {
  id: string;
  type: 'topo';
  position: { x: number; y: number };
  data: TopoNodeData;
}
export interface TopoEdge {
  id: string;
  source: string;
  target: string;
  targetHandle?: string;
  deletable: boolean;
  data: { network: string; owner?: { kind: 'vm' | 'capsule'; name: string }; pending?: boolean };
  /** "applies at next start": the kernel says nobody holds the TAP/veth (no carrier). */
  label?: string;
  className?: string;
}
export interface NetworkLinks {
  name: string;
  uplink?: string;
  type?: string;
  attachments: { kind: 'vm' | 'capsule'; name: string }[];
  /** Owners (`kind:name`) whose link has no carrier: a stopped VM's TAP, a NIC for the next start. */
  noCarrier?: string[];
}

export const nodeId = (kind: TopoKind, name: string): string => `${kind}:${name}`;
export const parseNodeId = (id: string): { kind: TopoKind; name: string } => {
  const i = id.indexOf(':');
  return { kind: id.slice(0, i) as TopoKind, name: id.slice(i + 1) };
};

const COL = 280;
const ROW = 70;
/** Instances wrap into extra columns past this many rows so 300 nodes stay on screen-ish. */
export const MAX_ROWS = 25;

/** Columns left→right: uplinks, networks, then instances grouped by their first network. */
export function layoutTopology(resources: ResourceSummary[], links: NetworkLinks[]): { nodes: TopoNode[]; edges: TopoEdge[] } {
  const nodes: TopoNode[] = [];
  const edges: TopoEdge[] = [];
  const networks = resources.filter((r) => r.kind === 'network').sort((a, b) => a.name.localeCompare(b.name));
  const linkOf = new Map(links.map((l) => [l.name, l]));
  const uplinks = [...new Set(links.map((l) => l.uplink).filter((u): u is string => Boolean(u)))].sort();

  uplinks.forEach((u, i) => nodes.push({ id: nodeId('uplink', u), type: 'topo', position: { x: 0, y: i * ROW * 1.5 }, data: { kind: 'uplink', name: u } }));
  networks.forEach((n, i) => {
    const l = linkOf.get(n.name);
    nodes.push({ id: nodeId('network', n.name), type: 'topo', position: { x: COL, y: i * ROW * 1.5 }, data: { kind: 'network', name: n.name, state: n.state, ...(n.reason ? { reason: n.reason } : {}), ...(l?.type ? { detail: l.type } : {}) } });
    if (l?.uplink) edges.push({ id: `up:${l.uplink}->${n.name}`, source: nodeId('uplink', l.uplink), target: nodeId('network', n.name), targetHandle: 'uplink', deletable: false, data: { network: n.name } });
  });

  // Order instances by the network they hang off so edges cross less.
  const firstNet = new Map<string, string>();
  for (const l of links) for (const a of l.attachments) if (!firstNet.has(nodeId(a.kind, a.name))) firstNet.set(nodeId(a.kind, a.name), l.name);
  const instances = resources
    .filter((r) => r.kind !== 'network')
    .sort((a, b) => (firstNet.get(nodeId(a.kind, a.name)) ?? '~').localeCompare(firstNet.get(nodeId(b.kind, b.name)) ?? '~') || a.name.localeCompare(b.name));
  instances.forEach((r, i) => {
    const col = Math.floor(i / MAX_ROWS);
    nodes.push({ id: nodeId(r.kind, r.name), type: 'topo', position: { x: COL * (2 + col), y: (i % MAX_ROWS) * ROW }, data: { kind: r.kind, name: r.name, state: r.state, ...(r.reason ? { reason: r.reason } : {}) } });
  });

  const present = new Set(nodes.map((n) => n.id));
  for (const l of links)
    for (const a of l.attachments) {
      const src = nodeId(a.kind, a.name);
      if (!present.has(src) || !present.has(nodeId('network', l.name))) continue;
      const pending = l.noCarrier?.includes(`${a.kind}:${a.name}`) ?? false;
      edges.push({
        id: `att:${src}->${l.name}`, source: src, target: nodeId('network', l.name), targetHandle: 'attach', deletable: true, data: { network: l.name, owner: a, ...(pending ? { pending } : {}) },
        ...(pending ? { label: a.kind === 'vm' ? 'applies at next start' : 'no carrier', className: 'topo-edge-pending' } : {}),
      });
    }
  return { nodes, edges };
}

/** A drag from an instance onto a network is an attach; anything else is refused. */
export function attachFromConnection(source: string | null, target: string | null): { network: string; owner: { kind: 'vm' | 'capsule'; name: string } } | undefined {
  if (!source || !target) return undefined;
  const s = parseNodeId(source);
  const t = parseNodeId(target);
  if ((s.kind === 'vm' || s.kind === 'capsule') && t.kind === 'network') return { network: t.name, owner: { kind: s.kind, name: s.name } };
  return undefined;
}

/** The procedure a drag onto a switch runs for an instance: what really connects it. */
export type AttachPlan =
  | { method: 'vm.nic.attach'; input: { name: string; network: string; ports: string[] } }
  | { method: 'network.attach'; input: { network: string; owner: { kind: 'capsule'; name: string }; netns: string; peer: string; ports: string[] } }
  | { refuse: string };

/**
 * A VM goes through vm.nic.attach (hot-plug when it runs, else the next start). A capsule is
 * plugged into its own network namespace, the one its running process is in, under the next free
 * ethN; a stopped capsule has no namespace to plug into.
 */
export function planAttach(
  a: { network: string; owner: { kind: 'vm' | 'capsule'; name: string } },
  capsule?: { state: string; pid?: number; network?: { name: string; netns: string } },
  attachedElsewhere = 0,
): AttachPlan {
  if (a.owner.kind === 'vm') return { method: 'vm.nic.attach', input: { name: a.owner.name, network: a.network, ports: [] } };
  if (!capsule || capsule.state !== 'running' || (!capsule.pid && !capsule.network?.netns)) {
    return { refuse: `Capsule ${a.owner.name} is not running: it has no network namespace to plug into. Start it, or give it network = "${a.network}" in its definition.` };
  }
  if (capsule.network?.name === a.network) return { refuse: `Capsule ${a.owner.name} is already on ${a.network}.` };
  const netns = capsule.network?.netns || `/proc/${capsule.pid}/ns/net`;
  // eth0 is taken by the capsule's own network (a switch, or pasta's copy of the host NIC).
  const peer = `eth${(capsule.network ? 1 : 0) + attachedElsewhere}`;
  return { method: 'network.attach', input: { network: a.network, owner: { kind: 'capsule', name: a.owner.name }, netns, peer, ports: [] } };
}

import { gpuStatus } from '../../../shared/contract/gpu.js';
import type { GpuInfo, GpuStatus } from '../../../shared/contract/gpu.js';

// GPU rows as the board shows them, read from `gpu.list` as the contract types it.

/** The engine's verdict, or Unknown when none came (an older engine, a card not diagnosed yet): never OK by default. */
export type Badge = GpuStatus | 'Unknown';

export const badgeOf = (status: unknown): Badge => {
  const known = gpuStatus.safeParse(status);
  return known.success ? known.data : 'Unknown';
};

/** The badge's colour class: Unknown is muted, never the OK green. */
export const BADGE_TONE: Record<Badge, 'ok' | 'warn' | 'error' | 'muted'> = { OK: 'ok', Degraded: 'warn', 'Action Needed': 'error', Unknown: 'muted' };

export interface GpuCardData {
  address: string;
  name: string;
  vendor: string;
  generation: string;
  host: string;
  driver: string;
  iommuGroup?: number;
  badge: Badge;
  reasons: { text: string; fix?: string }[];
  facts: [string, string][];
}

/** The facts shown when a card is expanded; a fact the host did not report is left out. */
function gpuFacts(g: GpuInfo): [string, string][] {
  const facts: [string, string | undefined][] = [
    ['driver', g.driver],
    ['driverOverride', g.driverOverride],
    ['ids', `${g.vendor.id}:${g.device.id}${g.device.chip ? ` (${g.device.chip})` : ''}`],
    ['class', g.className],
    ['iommuGroup', g.iommuGroup?.toString()],
    ['groupMembers', g.groupMembers.map((m) => m.address).join(', ') || undefined],
    ['companions', g.companions.map((c) => `${c.address} ${c.kind}`).join(', ') || undefined],
    ['resetMethods', g.resetMethods.join(', ') || undefined],
    ['powerState', g.powerState],
    ['rebar', g.rebar.supported ? `supported${g.rebar.currentBytes ? ` · current ${g.rebar.currentBytes}` : ''}${g.rebar.maxBytes ? ` · max ${g.rebar.maxBytes}` : ''}` : 'not supported'],
    ['sriov', g.sriov ? `${g.sriov.numVfs}/${g.sriov.totalVfs} VFs` : undefined],
    ['link', g.link ? [g.link.speed, g.link.width && `x${g.link.width}`].filter(Boolean).join(' ') || undefined : undefined],
    ['numaNode', g.numaNode?.toString()],
    ['bootVga', g.bootVga ? 'yes' : undefined],
    ['displayHolders', g.displayHolders.map((h) => `${h.comm} (${h.pid})`).join(', ') || undefined],
    ['claimedBy', g.claimedBy],
  ];
  return facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
}

export function gpuCard(g: GpuInfo, localHost: string): GpuCardData {
  return {
    address: g.address,
    name: g.name,
    vendor: g.vendor.name,
    generation: g.generation,
    host: localHost,
    driver: g.driver ?? 'none',
    ...(g.iommuGroup !== undefined ? { iommuGroup: g.iommuGroup } : {}),
    badge: badgeOf(g.status),
    // Only problems are reasons; passing and informational checks stay in the CLI's detail view.
    reasons: g.checks.filter((c) => c.status === 'warn' || c.status === 'fail').map((c) => ({ text: `${c.title}: ${c.reason}`, ...(c.fix ? { fix: c.fix } : {}) })),
    facts: gpuFacts(g),
  };
}

export interface GpuFilters {
  vendor: string[];
  generation: string[];
  host: string[];
}

/** Empty filter list = no restriction on that facet. */
export const matchesFilters = (g: GpuCardData, f: GpuFilters): boolean =>
  (f.vendor.length === 0 || f.vendor.includes(g.vendor)) &&
  (f.generation.length === 0 || f.generation.includes(g.generation)) &&
  (f.host.length === 0 || f.host.includes(g.host));

export function badgeSummary(cards: GpuCardData[]): Record<Badge, number> {
  const out: Record<Badge, number> = { OK: 0, Degraded: 0, 'Action Needed': 0, Unknown: 0 };
  for (const c of cards) out[c.badge]++;
  return out;
}

export const facetValues = (cards: GpuCardData[], key: 'vendor' | 'generation' | 'host'): string[] => [...new Set(cards.map((c) => c[key]))].sort();

// GPU rows as the board shows them, read tolerantly from `gpu.list` so the board does not break
// when the GPU backend adds fields.

export type Badge = 'OK' | 'Degraded' | 'Action Needed';

export interface GpuCardData {
  address: string;
  name: string;
  vendor: string;
  generation: string;
  host: string;
  driver: string;
  iommuGroup?: string | number;
  badge: Badge;
  reasons: { text: string; fix?: string }[];
  facts: [string, string][];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);

function normBadge(v: unknown): Badge {
  const s = String(v ?? '').toLowerCase().replace(/[_-]/g, ' ');
  if (s === 'ok' || s === 'healthy') return 'OK';
  if (s.startsWith('degraded') || s === 'warning') return 'Degraded';
  return s ? 'Action Needed' : 'OK';
}

/** Short text for a fact; nested records become "k v · k v", empty ones are skipped. */
function factText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'object' && x ? (str((x as Record<string, unknown>).address) ?? str((x as Record<string, unknown>).name) ?? JSON.stringify(x)) : String(x))).join(', ') : undefined;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null && typeof x !== 'object').map(([k, x]) => `${k} ${String(x)}`);
    return parts.length ? parts.join(' · ') : undefined;
  }
  return String(v);
}

export function normalizeGpu(raw: Record<string, unknown>, localHost: string): GpuCardData {
  const diag = (raw.diagnostics ?? raw.diagnosis ?? {}) as Record<string, unknown>;
  // gpu.list carries `checks` ({title, status ok|info|warn|fail, reason, fix}); only problems are reasons.
  const checks = (Array.isArray(raw.checks) ? raw.checks : []) as Record<string, unknown>[];
  const fromChecks = checks
    .filter((c) => c.status === 'warn' || c.status === 'fail')
    .map((c) => ({ reason: `${str(c.title) ?? str(c.id) ?? 'check'}: ${str(c.reason) ?? ''}`, fix: c.fix }));
  const rawReasons = (checks.length ? fromChecks : (diag.reasons ?? raw.reasons ?? diag.findings ?? [])) as unknown[];
  const vendorObj = raw.vendor && typeof raw.vendor === 'object' ? (raw.vendor as Record<string, unknown>) : undefined;
  const facts: [string, string][] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (['diagnostics', 'reasons', 'badge', 'status', 'checks', 'name', 'address'].includes(k)) continue;
    const text = factText(v);
    if (text) facts.push([k, text]);
  }
  return {
    address: str(raw.address) ?? str(raw.pci) ?? str(raw.id) ?? '?',
    name: str(raw.name) ?? str(raw.model) ?? str(raw.device) ?? 'Unknown GPU',
    vendor: str(vendorObj?.name) ?? str(raw.vendorName) ?? str(raw.vendor) ?? 'unknown',
    generation: str(raw.generation) ?? str(raw.family) ?? 'unknown',
    host: str(raw.host) ?? localHost,
    driver: str(raw.driver) ?? 'none',
    ...(raw.iommuGroup !== undefined ? { iommuGroup: raw.iommuGroup as string | number } : {}),
    badge: normBadge(diag.badge ?? diag.status ?? raw.badge ?? raw.status),
    reasons: rawReasons.map((r) =>
      typeof r === 'string' ? { text: r } : { text: str((r as Record<string, unknown>).reason) ?? str((r as Record<string, unknown>).message) ?? JSON.stringify(r), ...(str((r as Record<string, unknown>).fix) ? { fix: str((r as Record<string, unknown>).fix)! } : {}) },
    ),
    facts,
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
  const out: Record<Badge, number> = { OK: 0, Degraded: 0, 'Action Needed': 0 };
  for (const c of cards) out[c.badge]++;
  return out;
}

export const facetValues = (cards: GpuCardData[], key: 'vendor' | 'generation' | 'host'): string[] => [...new Set(cards.map((c) => c[key]))].sort();

// How much memory the guest really uses (not QEMU's RSS, which only grows): from the balloon's
// statistics when the VM has a balloon (virtio-balloon guest-stats, polled every 2 s once asked
// for), else from the guest agent (/proc/meminfo through guest-exec, Linux guests). Never throws:
// undefined when neither answers.
import type { VmContext } from './context.js';
import { guestExec } from './guest.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf, loadRecord } from './store.js';

export interface GuestMemory {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  source: 'balloon' | 'guest-agent';
}

const BALLOON = '/machine/peripheral/balloon0';
interface BalloonStats { 'last-update': number; stats: Record<string, number> }

async function fromBalloon(ctx: VmContext, name: string): Promise<GuestMemory | undefined> {
  return withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
    const interval = await q.execute<number>('qom-get', { path: BALLOON, property: 'guest-stats-polling-interval' });
    // The guest reports only once asked to: start polling (the first answer comes with the next call).
    if (!interval) await q.execute('qom-set', { path: BALLOON, property: 'guest-stats-polling-interval', value: 2 });
    const s = await q.execute<BalloonStats>('qom-get', { path: BALLOON, property: 'guest-stats' });
    const total = s.stats['stat-total-memory'];
    const avail = s.stats['stat-available-memory'] ?? s.stats['stat-free-memory'];
    if (!s['last-update'] || total === undefined || total < 0 || avail === undefined || avail < 0) return undefined;
    return { totalBytes: total, availableBytes: avail, usedBytes: total - avail, source: 'balloon' as const };
  }).catch(() => undefined);
}

async function fromAgent(ctx: VmContext, name: string): Promise<GuestMemory | undefined> {
  const r = await guestExec(ctx, name, ['cat', '/proc/meminfo'], { timeoutMs: 5000 }).catch(() => undefined);
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(r?.stdout ?? '')?.[1] ?? NaN) * 1024;
  const total = kb('MemTotal');
  const avail = kb('MemAvailable');
  if (!r || r.exitCode !== 0 || !Number.isFinite(total) || !Number.isFinite(avail)) return undefined;
  return { totalBytes: total, availableBytes: avail, usedBytes: total - avail, source: 'guest-agent' };
}

export async function guestMemory(ctx: VmContext, name: string, agent: boolean): Promise<GuestMemory | undefined> {
  const rec = await loadRecord(ctx.paths, name);
  return (rec.spec.balloon ? await fromBalloon(ctx, name) : undefined) ?? (agent ? await fromAgent(ctx, name) : undefined);
}

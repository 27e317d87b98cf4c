// The target's own watch over an incoming migration (#22): the source renews a lease every few
// seconds (`vm.xmigrate.alive`, and every other vm.xmigrate.* call) for as long as it drives the
// move. When the source stops renewing (its engine was killed, its host died, the link is gone)
// the target settles the attempt by itself, with the same rule `nova migrate recover` applies:
// a guest that is here whole (the switch-over happened) stays and the attempt is committed (one
// that ran here and whose QEMU died since stays as a stopped VM); otherwise the attempt (QEMU, definition, disks) is removed — the guest never left the source.
// The source's later `recover` then finds either a committed VM (it releases its copy) or nothing
// (it keeps the guest running).
import { readdir } from 'node:fs/promises';
import { dirs } from '../../sys/paths.js';
import type { VmContext } from '../context.js';
import { queryStatus } from '../qmp/commands.js';
import { withQmp } from '../qmp/protocol.js';
import { layoutOf } from '../store.js';
import { commitIncoming, dropIncoming, keepStopped, readIncoming } from './target.js';

/** How often the source renews; the lease lasts several renewals (a reconnecting SSH link fits in it). */
export const LEASE_RENEW_MS = 2_000;
const DEFAULT_LEASE_MS = 30_000;

/** NOVA_XMIGRATE_LEASE_MS (tests shorten it), at least three renewals. */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.NOVA_XMIGRATE_LEASE_MS);
  return Number.isFinite(n) && n > 0 ? Math.max(n, 3 * LEASE_RENEW_MS) : DEFAULT_LEASE_MS;
}

export type Settled = 'committed' | 'stopped' | 'removed' | 'gone';

export class IncomingWatch {
  private seen = new Map<string, { id: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private ctx: () => VmContext,
    private lease = leaseMs(),
    private onSettled: (name: string, how: Settled) => void = () => undefined,
    private now = () => Date.now(),
  ) {}

  /** The source is alive for attempt `id` of `name`. */
  touch(name: string, id: string): void {
    this.seen.set(name, { id, at: this.now() });
    this.timer ??= setInterval(() => void this.check(), Math.min(1000, this.lease / 3));
    this.timer.unref();
  }

  forget(name: string): void {
    this.seen.delete(name);
    if (!this.seen.size) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Attempts left by an earlier run of this engine get a full lease from now (their source may still drive them). */
  async adoptLeftovers(): Promise<void> {
    const ctx = this.ctx();
    for (const name of await readdir(dirs.vms(ctx.paths)).catch(() => [] as string[])) {
      const rec = await readIncoming(ctx, name).catch(() => undefined);
      if (rec && !this.seen.has(name)) this.touch(name, rec.id);
    }
  }

  /** Settles every attempt whose lease ran out; returns what it did (tests call it directly). */
  async check(): Promise<{ name: string; how: Settled }[]> {
    if (this.busy) return [];
    this.busy = true;
    const done: { name: string; how: Settled }[] = [];
    try {
      for (const [name, s] of [...this.seen]) {
        if (this.now() - s.at < this.lease) continue;
        const how = await this.settle(name, s.id).catch(() => undefined);
        if (!how) continue; // retried at the next tick
        this.forget(name);
        done.push({ name, how });
        this.onSettled(name, how);
      }
    } finally {
      this.busy = false;
    }
    return done;
  }

  private async settle(name: string, id: string): Promise<Settled> {
    const ctx = this.ctx();
    const rec = await readIncoming(ctx, name);
    if (rec?.id !== id) return 'gone'; // committed or cancelled meanwhile
    if (await keepStopped(ctx, name, id)) return 'stopped'; // it ran here, then its QEMU died
    const st = await withQmp(layoutOf(ctx.paths, name).qmp, queryStatus, { greetingTimeoutMs: 3000 }).catch(() => undefined);
    // The whole guest is here (paused by -S until commit resumes it), or it already ran here.
    if (st?.status === 'running' || st?.status === 'paused' || rec.resumedAt) {
      await commitIncoming(ctx, name, id, { timeoutMs: 5_000 });
      return 'committed';
    }
    await dropIncoming(ctx, name, id);
    return 'removed';
  }
}

import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { interfaceStatus } from '../../shared/contract/network.js';
import { monitorSettings } from '../../shared/contract/network.js';
import type { Prefs } from '../../shared/contract/prefs.js';
import type { NetCtx } from './context.js';
import { parseLinks } from './links.js';

// Interface monitoring: counters from /sys/class/net (or `ip -s -j link` inside a configured
// namespace) at a per-interface poll interval, rx/tx rates, and an offline threshold (no carrier
// or no counters for N seconds) → interface.offline / interface.online events and notifications.
// Settings live in the persisted preferences (`monitoring`), so the app and the CLI share them.

type Settings = z.infer<typeof monitorSettings>;
type Status = z.infer<typeof interfaceStatus>;

export interface PrefsAccess {
  get(): Promise<Prefs>;
  set(key: 'monitoring', value: Prefs['monitoring']): Promise<Prefs>;
}

interface Counters {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  rxErrors: number;
  txErrors: number;
}

interface Watch {
  settings: Settings;
  timer?: NodeJS.Timeout;
  offlineTimer?: NodeJS.Timeout;
  online: boolean;
  since?: number;
  downSince?: number;
  last?: Counters & { at: number };
  rates?: { rxRate: number; txRate: number };
}

const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors'] as const;

export class InterfaceMonitor {
  private watches = new Map<string, Watch>();
  private reconcileTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private ctx: NetCtx,
    private prefs: PrefsAccess,
    /** Interfaces monitored by default: every switch's bridge. */
    private defaults: () => Promise<string[]>,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.reconcile();
    this.reconcileTimer = setInterval(() => void this.reconcile().catch(() => undefined), 30_000);
    this.reconcileTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    for (const w of this.watches.values()) this.clear(w);
    this.watches.clear();
  }

  /** Picks up new switches and changed settings. */
  async reconcile(): Promise<void> {
    const prefs = await this.prefs.get();
    const names = new Set([...(await this.defaults()), ...Object.keys(prefs.monitoring)]);
    for (const [name, w] of this.watches) {
      if (names.has(name)) continue;
      this.clear(w);
      this.watches.delete(name);
    }
    for (const name of names) {
      const settings = monitorSettings.parse(prefs.monitoring[name] ?? {});
      const w = this.watches.get(name);
      if (w && w.settings.pollSeconds === settings.pollSeconds && w.settings.offlineThreshold === settings.offlineThreshold) {
        w.settings = settings;
        continue;
      }
      if (w) this.clear(w);
      const next: Watch = { settings, online: w?.online ?? true, ...(w?.since ? { since: w.since } : {}) };
      this.watches.set(name, next);
      if (this.stopped) continue;
      await this.poll(name, next);
      next.timer = setInterval(() => void this.poll(name, next).catch(() => undefined), settings.pollSeconds * 1000);
      next.timer.unref();
    }
  }

  async set(name: string, patch: Partial<Settings> & { remove?: boolean }): Promise<Status> {
    const prefs = await this.prefs.get();
    const monitoring = { ...prefs.monitoring };
    if (patch.remove) delete monitoring[name];
    else {
      const { remove: _r, ...rest } = patch;
      monitoring[name] = monitorSettings.parse({ ...(monitoring[name] ?? {}), ...rest });
    }
    await this.prefs.set('monitoring', monitoring);
    if (!this.stopped || this.watches.size) await this.reconcile();
    return this.status(name) ?? { interface: name, settings: monitorSettings.parse(monitoring[name] ?? {}), online: true };
  }

  status(name: string): Status | undefined {
    const w = this.watches.get(name);
    if (!w) return undefined;
    return {
      interface: name,
      settings: w.settings,
      online: w.online,
      ...(w.since ? { since: w.since } : {}),
      ...(w.last ? { ...w.last } : {}),
      ...(w.rates ?? {}),
    };
  }

  list(): Status[] {
    return [...this.watches.keys()].sort().map((n) => this.status(n)!);
  }

  private clear(w: Watch): void {
    if (w.timer) clearInterval(w.timer);
    if (w.offlineTimer) clearTimeout(w.offlineTimer);
  }

  private async read(name: string): Promise<{ up: boolean; counters?: Counters }> {
    if (!this.ctx.ns) {
      const base = `/sys/class/net/${name}`;
      try {
        const vals = await Promise.all(COUNTERS.map((c) => readFile(`${base}/statistics/${c}`, 'utf8').then(Number)));
        const oper = (await readFile(`${base}/operstate`, 'utf8')).trim();
        const flags = Number.parseInt((await readFile(`${base}/flags`, 'utf8')).trim(), 16);
        const isBridge = await readFile(`${base}/bridge/stp_state`, 'utf8').then(() => true, () => false);
        const up = (flags & 1) === 1 && (isBridge || oper === 'up' || oper === 'unknown');
        const [rxBytes, txBytes, rxPackets, txPackets, rxErrors, txErrors] = vals as [number, number, number, number, number, number];
        return { up, counters: { rxBytes, txBytes, rxPackets, txPackets, rxErrors, txErrors } };
      } catch {
        return { up: false };
      }
    }
    const r = await this.ctx.run(['ip', '-d', '-s', '-j', 'link', 'show', 'dev', name], { allowFailure: true });
    if (r.exitCode !== 0) return { up: false };
    const l = parseLinks(r.stdout)[0];
    if (!l) return { up: false };
    const up = l.flags.includes('UP') && (l.kind === 'bridge' || !l.flags.includes('NO-CARRIER'));
    return { up, ...(l.stats ? { counters: l.stats } : {}) };
  }

  async poll(name: string, w: Watch): Promise<void> {
    const now = this.ctx.now();
    const { up, counters } = await this.read(name);
    if (counters) {
      if (w.last) {
        const dt = Math.max(0.001, (now - w.last.at) / 1000);
        w.rates = { rxRate: Math.max(0, (counters.rxBytes - w.last.rxBytes) / dt), txRate: Math.max(0, (counters.txBytes - w.last.txBytes) / dt) };
      }
      w.last = { ...counters, at: now };
      this.ctx.bus.emit('metrics.sample', { kind: 'interface', name, at: now, values: { ...counters, ...(w.rates ?? {}) } });
    }
    if (up && counters) {
      w.downSince = undefined;
      if (w.offlineTimer) clearTimeout(w.offlineTimer);
      w.offlineTimer = undefined;
      if (!w.online) await this.transition(name, w, true, now);
      else w.since ??= now;
      return;
    }
    if (!w.online) return;
    w.downSince ??= now;
    const due = w.downSince + w.settings.offlineThreshold * 1000 - now;
    if (due <= 0) await this.transition(name, w, false, now, counters ? 'carrier down' : 'no counters (interface missing)');
    else if (!w.offlineTimer) {
      // Check again right when the threshold expires instead of waiting a full poll interval.
      w.offlineTimer = setTimeout(() => {
        w.offlineTimer = undefined;
        void this.poll(name, w).catch(() => undefined);
      }, due);
      w.offlineTimer.unref();
    }
  }

  private async transition(name: string, w: Watch, online: boolean, at: number, reason = ''): Promise<void> {
    w.online = online;
    w.since = at;
    const bus = this.ctx.bus;
    const prefs = await this.prefs.get();
    if (online) bus.emit('interface.online', { interface: name, at });
    else bus.emit('interface.offline', { interface: name, at, reason });
    if (w.settings.notify && prefs.notifications) {
      bus.emit('notification', {
        level: online ? 'info' : 'warning',
        title: online ? `${name} is back online` : `${name} is offline`,
        body: online ? `Interface ${name} has carrier and counters again.` : `Interface ${name}: ${reason} for ${w.settings.offlineThreshold}s or more.`,
        subject: name,
      });
    }
  }
}

// Remote hosts' events, pushed (#22). While someone watches this engine (the app's window, a
// client of `nova serve`), it keeps one connection to every added host — the same SSH forward and
// WebSocket its calls use — and re-publishes that host's state events on this engine's bus as
// `host.event` {host, event, payload}. `host.state` says when a host drops (the SSH keep-alives or
// the socket noticed) and when it is back: a dropped host is retried every few seconds by the
// engine, so no view has to poll. Nobody watching: every subscription and retry stops.
import type { EventName } from '../../shared/contract.js';
import type { RemoteConnection } from './remote.js';
import type { StoredHost } from './store.js';

/** What a view of another host needs to stay live (samples and log lines stay on their host). */
export const FORWARDED_EVENTS = ['vm.state', 'capsule.state', 'network.state', 'resource.changed', 'task.progress', 'notification'] as const satisfies readonly EventName[];

export const RETRY_MS = 5_000;

export interface HostWatchDeps {
  hosts(): Promise<StoredHost[]>;
  connect(h: StoredHost): Promise<RemoteConnection>;
  emitEvent(host: string, event: string, payload: unknown): void;
  emitState(host: string, reachable: boolean, error?: string): void;
}

interface Watched {
  offs: (() => void)[];
  timer?: NodeJS.Timeout;
  /** Last state published (a retry that fails again says nothing new). */
  reachable?: boolean;
  error?: string;
}

export class HostWatch {
  private watched = new Map<string, Watched>();
  private running = false;

  constructor(
    private deps: HostWatchDeps,
    private retryMs = RETRY_MS,
  ) {}

  get active(): boolean {
    return this.running;
  }

  /** Starts (or re-reads the host list: a host added or removed). */
  async sync(): Promise<void> {
    this.running = true;
    const hosts = await this.deps.hosts().catch(() => []);
    if (!this.running) return;
    const names = new Set(hosts.map((h) => h.name));
    for (const name of [...this.watched.keys()]) if (!names.has(name)) this.unwatch(name);
    for (const h of hosts) if (!this.watched.has(h.name)) this.watch(h);
  }

  stop(): void {
    this.running = false;
    for (const name of [...this.watched.keys()]) this.unwatch(name);
  }

  private unwatch(name: string): void {
    const w = this.watched.get(name);
    if (!w) return;
    clearTimeout(w.timer);
    for (const off of w.offs.splice(0)) off();
    this.watched.delete(name);
  }

  private publish(name: string, w: Watched, reachable: boolean, error?: string): void {
    if (w.reachable === reachable && w.error === error) return;
    w.reachable = reachable;
    w.error = error;
    this.deps.emitState(name, reachable, error);
  }

  private watch(h: StoredHost): void {
    const w: Watched = { offs: [] };
    this.watched.set(h.name, w);
    const current = () => this.running && this.watched.get(h.name) === w;
    const retry = () => {
      if (!current()) return;
      clearTimeout(w.timer);
      w.timer = setTimeout(attempt, this.retryMs);
      w.timer.unref?.();
    };
    const attempt = () => {
      if (!current()) return;
      this.deps.connect(h).then(
        (conn) => {
          if (!current()) return;
          for (const off of w.offs.splice(0)) off();
          for (const event of FORWARDED_EVENTS) w.offs.push(conn.on(event, (payload) => this.deps.emitEvent(h.name, event, payload)));
          this.publish(h.name, w, true);
          void conn.down.then((why) => {
            if (!current()) return;
            for (const off of w.offs.splice(0)) off();
            this.publish(h.name, w, false, why);
            retry();
          });
        },
        (e: unknown) => {
          if (!current()) return;
          this.publish(h.name, w, false, (e as Error).message);
          retry();
        },
      );
    };
    attempt();
  }
}

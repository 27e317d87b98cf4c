import type { EventName, EventPayload } from '../../shared/contract.js';

type Listener = (payload: unknown) => void;
/**
 * `to` addresses an event to one client (a connection's CallContext.client): transports forward
 * it to that client only. Events without `to` go to everyone.
 */
type AnyListener = (event: EventName, payload: unknown, to?: string) => void;

/** Typed in-process event bus: backends publish, transports forward to clients (see AnyListener). */
export class EventBus {
  private listeners = new Map<EventName, Set<Listener>>();
  private anyListeners = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>, to?: string): void {
    for (const fn of this.listeners.get(event) ?? []) safely(() => fn(payload));
    for (const fn of this.anyListeners) safely(() => fn(event, payload, to));
  }

  on<E extends EventName>(event: E, fn: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener);
    this.audienceChanged();
    return () => {
      set!.delete(fn as Listener);
      this.audienceChanged();
    };
  }

  onAny(fn: AnyListener): () => void {
    this.anyListeners.add(fn);
    return () => this.anyListeners.delete(fn);
  }

  // Who looks at periodic samples (metrics.sample): clients a transport forwards events to, and
  // in-process listeners of the event. Samplers run only while someone does (#24: idle costs
  // nothing); a listener that only keeps what passes by (the support bundle's ring) is passive.
  private viewers = 0;
  private passive = new Set<Listener>();
  private audienceFns = new Set<() => void>();

  /** A transport's client that receives events came (+1) or went (-1). */
  viewer(delta: 1 | -1): void {
    this.viewers = Math.max(0, this.viewers + delta);
    this.audienceChanged();
  }

  private audienceChanged(): void {
    for (const fn of this.audienceFns ?? []) safely(fn);
  }

  /** Listens without asking for the event to be produced (see `wanted`). */
  onPassive<E extends EventName>(event: E, fn: (payload: EventPayload<E>) => void): () => void {
    this.passive.add(fn as Listener);
    const off = this.on(event, fn);
    return () => {
      this.passive.delete(fn as Listener);
      off();
    };
  }

  /** Whether anyone would see `event` now: a client of a transport, or an in-process listener. */
  wanted(event: EventName): boolean {
    if (this.viewers > 0) return true;
    for (const fn of this.listeners.get(event) ?? []) if (!this.passive.has(fn)) return true;
    return false;
  }

  /** Called when a transport's client comes or goes (samplers start and stop with it). */
  onAudience(fn: () => void): () => void {
    this.audienceFns.add(fn);
    return () => this.audienceFns.delete(fn);
  }
}

/** Whether a transport serving `client` may forward an event addressed `to`. */
export const forClient = (client: string, to: string | undefined): boolean => to === undefined || to === client;

// One faulty listener (a closed socket, a UI bug) must not break the publisher.
function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    process.emitWarning(`event listener failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

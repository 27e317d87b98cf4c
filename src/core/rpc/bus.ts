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
    return () => set!.delete(fn as Listener);
  }

  onAny(fn: AnyListener): () => void {
    this.anyListeners.add(fn);
    return () => this.anyListeners.delete(fn);
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

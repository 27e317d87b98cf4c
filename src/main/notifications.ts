import type { EventBus } from '../core/rpc/bus.js';
import type { EventPayload } from '../shared/contract.js';
import type { Prefs } from '../shared/contract/prefs.js';

export type EngineNotification = EventPayload<'notification'>;

/** Whether the user wants this one: the global toggle, then the per-subject (interface) toggle. */
export function notificationWanted(n: EngineNotification, prefs: Prefs): boolean {
  if (!prefs.notifications) return false;
  if (n.subject && prefs.monitoring[n.subject]?.notify === false) return false;
  return true;
}

export interface NotifierOptions {
  bus: EventBus;
  getPrefs(): Promise<Prefs>;
  /** Shows a desktop notification (Electron's Notification in the app). */
  show(n: EngineNotification): void;
  now?: () => number;
  /** The same title+body within this window is shown once (a flapping link must not spam). */
  dedupeMs?: number;
}

/** State changes worth a desktop notification even when the backend did not send one. */
export function fromVmState(e: EventPayload<'vm.state'>): EngineNotification | undefined {
  if (e.state !== 'crashed') return undefined;
  return { level: 'error', title: `VM ${e.name} crashed`, body: e.reason ?? 'QEMU exited unexpectedly; see its serial log', subject: e.name };
}

/**
 * Turns engine `notification` events (interface offline, network degraded, …) and VM crashes
 * into desktop notifications, honouring the mute toggles at the moment each event arrives.
 */
export function startNotifier(opts: NotifierOptions): () => void {
  const now = opts.now ?? Date.now;
  const dedupeMs = opts.dedupeMs ?? 30_000;
  const recent = new Map<string, number>();
  const offVm = opts.bus.on('vm.state', (e) => {
    const n = fromVmState(e);
    if (n) handle(n);
  });
  const offNote = opts.bus.on('notification', (n) => handle(n));
  return () => {
    offVm();
    offNote();
  };

  function handle(n: EngineNotification): void {
    void opts
      .getPrefs()
      .then((prefs) => {
        if (!notificationWanted(n, prefs)) return;
        const key = `${n.level}\u0000${n.title}\u0000${n.body}`;
        const t = now();
        const last = recent.get(key);
        if (last !== undefined && t - last < dedupeMs) return;
        recent.set(key, t);
        if (recent.size > 200) recent.delete(recent.keys().next().value!);
        opts.show(n);
      })
      .catch((e: unknown) => process.emitWarning(`notification dropped: ${(e as Error).message}`));
  }
}

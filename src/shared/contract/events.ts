import { z } from 'zod';
import { prefsSchema } from './prefs.js';
import { resourceKind } from './resource.js';
import { taskInfo } from './task.js';
import { terminalEvents } from './terminal.js';
import { lazy } from '../lazy.js';

// Everything the engine publishes. Transports forward every event to every client; views
// refetch on `resource.changed` (debounced) and stream the rest.
export const events = {
  'task.progress': taskInfo,
  'resource.changed': lazy(() => z.object({ kind: resourceKind, name: z.string(), state: z.string().optional(), reason: z.string().optional() })),
  'vm.state': lazy(() => z.object({ name: z.string(), state: z.string(), reason: z.string().optional() })),
  'capsule.state': lazy(() => z.object({ name: z.string(), state: z.string(), reason: z.string().optional(), exitCode: z.number().optional() })),
  'network.state': lazy(() => z.object({ name: z.string(), state: z.string(), reason: z.string().optional() })),
  'metrics.sample': lazy(() => z.object({
    kind: z.enum(['vm', 'capsule', 'network', 'interface', 'host']),
    name: z.string(),
    at: z.number(),
    values: z.record(z.string(), z.number()),
  })),
  'log.line': lazy(() => z.object({
    kind: z.enum(['vm', 'capsule', 'network', 'engine']),
    name: z.string(),
    stream: z.enum(['stdout', 'stderr', 'serial', 'engine']),
    at: z.number(),
    line: z.string(),
  })),
  notification: lazy(() => z.object({
    level: z.enum(['info', 'warning', 'error']),
    title: z.string(),
    body: z.string(),
    /** Lets the UI honour per-item mute toggles (e.g. an interface name). */
    subject: z.string().optional(),
  })),
  'prefs.changed': prefsSchema,
  'interface.offline': lazy(() => z.object({ interface: z.string(), at: z.number(), reason: z.string() })),
  'interface.online': lazy(() => z.object({ interface: z.string(), at: z.number() })),
  /** An image pulled, imported or removed: image lists refetch. */
  'image.changed': lazy(() => z.object({ ref: z.string(), action: z.enum(['pull', 'import', 'rm']) })),
  /** A pool added or forgotten, a file deleted: storage views refetch. */
  'storage.changed': lazy(() => z.object({ pool: z.string().optional() })),
  ...terminalEvents,
  /** An event of a remote host (#22), re-published by the engine that watches it (see core/hosts/watch.ts). */
  'host.event': lazy(() => z.object({ host: z.string(), event: z.string(), payload: z.unknown() })),
  /** A remote host dropped (with why) or is reachable again. */
  'host.state': lazy(() => z.object({ host: z.string(), reachable: z.boolean(), error: z.string().optional() })),
  'gpu.changed': lazy(() => z.object({ address: z.string(), action: z.enum(['bind', 'unbind', 'reattach', 'reset']), driver: z.string().optional(), ok: z.boolean() })),
} as const;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;

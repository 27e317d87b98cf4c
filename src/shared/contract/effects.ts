// What a procedure does to the host, for faces that must tell reads from writes (MCP's tool
// hints and its read-only default, OpenAPI's descriptions). Derived from the method's last
// name segment so a new procedure is classified without editing this file; anything not known
// to be a read counts as a write (the safe side).

export interface Effect {
  /** Changes nothing on the host (safe to offer an assistant without --allow-write). */
  readOnly: boolean;
  /** May lose state: deletes, stops, reverts, takes a device from the host. */
  destructive: boolean;
  /** Calling it again with the same input changes nothing more. */
  idempotent: boolean;
}

const READ_VERBS = new Set([
  'info', 'list', 'inspect', 'get', 'logs', 'stats', 'console', 'screenshot', 'validate', 'plan', 'presets',
  'diagnose', 'preflight', 'status', 'pools', 'files', 'interfaces', 'leases', 'addresses',
]);
const DESTRUCTIVE_VERBS = new Set([
  'delete', 'rm', 'remove', 'destroy', 'down', 'kill', 'reset', 'restore', 'uninstall', 'unbind', 'stop',
  'restart', 'detach', 'cancel', 'close', 'bind', 'reattach', 'hydrate', 'update', 'releaseForVm',
]);
const IDEMPOTENT_VERBS = new Set([
  'start', 'stop', 'pause', 'resume', 'set', 'update', 'up', 'down', 'hydrate', 'bind', 'unbind', 'reattach',
  'install', 'uninstall', 'delete', 'rm', 'remove', 'destroy', 'resize', 'add',
]);
/** Reads by name that look like writes, or the reverse. */
const OVERRIDES: Record<string, Partial<Effect>> = {
  // "Read or set": setting is a write.
  'vm.balloon': { readOnly: false },
  // Writes a file for the user (nothing on the host changes state).
  'support.bundle': { readOnly: false, destructive: false },
};

export function effectOf(method: string): Effect {
  const verb = method.slice(method.lastIndexOf('.') + 1);
  const readOnly = READ_VERBS.has(verb);
  const base: Effect = readOnly
    ? { readOnly: true, destructive: false, idempotent: true }
    : { readOnly: false, destructive: DESTRUCTIVE_VERBS.has(verb), idempotent: IDEMPOTENT_VERBS.has(verb) };
  return { ...base, ...OVERRIDES[method] };
}

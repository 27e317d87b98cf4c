import type { NovaBridge } from '../../../shared/bridge.js';
import type { EventName, EventPayload } from '../../../shared/contract.js';
import type { ErrorCode } from '../../../shared/errors.js';

// The renderer's one door to the engine. Views call methods by name so a view can be written
// before its backend lands on main; a method the engine does not know is reported as "missing".

let current: NovaBridge | undefined;

export function setBridge(b: NovaBridge): void {
  current = b;
}

export function bridge(): NovaBridge {
  if (!current) throw new Error('the bridge is not set up yet (setBridge in main.tsx)');
  return current;
}

/** Calls any method by name; resolves with its output or rejects with a NovaError. */
export function call<T = unknown>(method: string, input: unknown = {}): Promise<T> {
  return (bridge().call as (m: string, i: unknown) => Promise<T>)(method, input);
}

export function on<E extends EventName>(event: E, fn: (payload: EventPayload<E>) => void): () => void {
  return bridge().on(event, fn);
}

interface ErrorLike {
  code?: ErrorCode;
  message?: string;
  details?: unknown;
}

export const errorCode = (e: unknown): ErrorCode | undefined => (e && typeof e === 'object' ? (e as ErrorLike).code : undefined);

/**
 * True when the engine has no backend for `method` in this build: the dispatcher answers
 * NOT_FOUND "unknown method" or HOST_UNSUPPORTED "no backend", both with details.method.
 */
export function isMissingBackend(e: unknown, method?: string): boolean {
  if (!e || typeof e !== 'object') return false;
  const { code, details } = e as ErrorLike;
  if (code !== 'NOT_FOUND' && code !== 'HOST_UNSUPPORTED') return false;
  const m = details && typeof details === 'object' ? (details as { method?: unknown }).method : undefined;
  if (typeof m !== 'string') return false;
  return method === undefined || m === method;
}

/** The message a user should read, with what to do for the codes that need an action. */
export function errorText(e: unknown): string {
  const msg = e && typeof e === 'object' && 'message' in e ? String((e as ErrorLike).message) : String(e);
  switch (errorCode(e)) {
    case 'PERMISSION':
      return `${msg} — run nova as root or grant the capability it names.`;
    case 'TIMEOUT':
      return `${msg} — the host is busy; try again.`;
    default:
      return msg;
  }
}

/** Accepts `[...]`, `{items: [...]}` or `{<key>: [...]}` from list procedures. */
export function asList<T>(value: unknown, ...keys: string[]): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object') {
    for (const k of ['items', ...keys]) {
      const v = (value as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}

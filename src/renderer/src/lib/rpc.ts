import type { NovaBridge } from '../../../shared/bridge.js';
import type { EventName, EventPayload, Input, Method, Output } from '../../../shared/contract.js';
import type { ErrorCode } from '../../../shared/errors.js';

// The renderer's one door to the engine: every call is typed by the contract, so a view reads
// the output the procedure declares instead of guessing field names.

let current: NovaBridge | undefined;

export function setBridge(b: NovaBridge): void {
  current = b;
}

export function bridge(): NovaBridge {
  if (!current) throw new Error('the bridge is not set up yet (setBridge in main.tsx)');
  return current;
}

/** Calls a contract method; resolves with its declared output or rejects with a NovaError. */
export function call<M extends Method>(method: M, input?: Input<M>): Promise<Output<M>> {
  return bridge().call(method, input);
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

/** The fix the engine attached to an error (`details.fix`), if any. */
export function errorFix(e: unknown): string | undefined {
  const details = e && typeof e === 'object' ? (e as ErrorLike).details : undefined;
  const fix = details && typeof details === 'object' ? (details as { fix?: unknown }).fix : undefined;
  return typeof fix === 'string' && fix ? fix : undefined;
}

/**
 * The message a user should read: the engine's own message plus its fix. The engine knows what
 * to do (start the helper, ask for a polkit grant); the renderer adds no advice of its own.
 */
export function errorText(e: unknown): string {
  const msg = e && typeof e === 'object' && 'message' in e ? String((e as ErrorLike).message) : String(e);
  const fix = errorFix(e);
  if (errorCode(e) === 'TIMEOUT' && !fix) return `${msg} — the host is busy; try again.`;
  return fix && !msg.includes(fix) ? `${msg} — fix: ${fix}` : msg;
}

import type { EventName, EventPayload, Input, Method, Output } from './contract.js';

/** What the renderer sees: window.nova in Electron, a WebSocket client in a browser. */
export interface NovaBridge {
  /** Resolves with the output or rejects with a NovaError. */
  call<M extends Method>(method: M, input?: Input<M>): Promise<Output<M>>;
  /** Returns an unsubscribe function. */
  on<E extends EventName>(event: E, fn: (payload: EventPayload<E>) => void): () => void;
  /** Where this face relays a running VM's console (a WebSocket signed in like the API). */
  consoleEndpoint(vm: string): Promise<ConsoleEndpoint>;
}

/** The raw shape crossing process boundaries (preload, WebSocket): untyped, validated on arrival. */
export interface RawBridge {
  call(method: string, input: unknown): Promise<unknown>;
  on(event: string, fn: (payload: unknown) => void): () => void;
}

/** Where a VM's console WebSocket lives on Nova's own server (`nova serve`, the app's proxy). */
export const consolePath = (vm: string): string => `/console/${encodeURIComponent(vm)}`;

/** A console WebSocket the renderer may open: its URL and the subprotocols that sign it in. */
export interface ConsoleEndpoint {
  url: string;
  protocols: string[];
}

import { NovaError, toNovaError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import type { Dispatcher, Transport } from '../core/rpc/dispatcher.js';

// JSON-RPC 2.0 framing of the contract. NovaError codes ride in error.data.code.
const RPC_CODE: Record<ErrorCode, number> = {
  NOT_FOUND: -32601, INVALID_INPUT: -32602, INTERNAL: -32603, CONFLICT: -32001, PERMISSION: -32002,
  HOST_UNSUPPORTED: -32003, TIMEOUT: -32004, CANCELLED: -32005,
};

interface Request {
  jsonrpc: '2.0';
  id?: string | number | null;
  method: string;
  params?: unknown;
}

export type Reply = Record<string, unknown>;

export function errorReply(id: Request['id'], err: NovaError): Reply {
  const data = err.toJSON();
  return { jsonrpc: '2.0', id: id ?? null, error: { code: RPC_CODE[err.code], message: err.message, data: redact(data) } };
}

/** Handles one JSON-RPC message (or batch). Returns undefined for notifications. */
export async function handleMessage(text: string, dispatcher: Dispatcher, transport: Transport, signal?: AbortSignal): Promise<Reply | Reply[] | undefined> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: not JSON' } };
  }
  if (Array.isArray(msg)) {
    const replies = await Promise.all(msg.map((m) => one(m, dispatcher, transport, signal)));
    return replies.filter((r): r is Reply => r !== undefined);
  }
  return one(msg, dispatcher, transport, signal);
}

async function one(msg: unknown, dispatcher: Dispatcher, transport: Transport, signal?: AbortSignal): Promise<Reply | undefined> {
  const req = msg as Request;
  if (!req || typeof req !== 'object' || req.jsonrpc !== '2.0' || typeof req.method !== 'string') {
    return { jsonrpc: '2.0', id: (req as Request | null)?.id ?? null, error: { code: -32600, message: 'invalid request: expected {jsonrpc:"2.0", method, params, id}' } };
  }
  const result = await dispatcher.call(req.method, req.params, { transport, signal });
  if (req.id === undefined) return undefined;
  if (result.ok) return { jsonrpc: '2.0', id: req.id, result: result.value };
  return errorReply(req.id, toNovaError(result.error));
}

export const eventNotification = (event: string, payload: unknown): Reply => ({
  jsonrpc: '2.0',
  method: 'event',
  params: { event, payload: redact(payload) },
});

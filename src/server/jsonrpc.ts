import { isMethod } from '../shared/contract.js';
import { NovaError, toNovaError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import type { Dispatcher, Transport } from '../core/rpc/dispatcher.js';

// JSON-RPC 2.0 framing of the contract. The spec's own codes mean what it says they mean:
// -32601 only for a method the contract does not have, -32602 for bad params. Everything a
// backend reports about resources lives in the implementation-defined -32000..-32099 range, with
// the NovaError code in error.data.code (clients read that, not the number).
const RPC_CODE: Record<ErrorCode, number> = {
  INVALID_INPUT: -32602, INTERNAL: -32603,
  NOT_FOUND: -32001, CONFLICT: -32002, PERMISSION: -32003, HOST_UNSUPPORTED: -32004, TIMEOUT: -32005, CANCELLED: -32006,
};
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;

/** More requests than this in one batch are refused as a whole (one reply, nothing run). */
export const MAX_BATCH = 100;

type Id = string | number | null;

export type Reply = Record<string, unknown>;

/** Only the id types the spec allows are echoed; anything else (objects, 10⁴-deep arrays) is null. */
const validId = (id: unknown): id is Id => id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/** Protocol-level failures carry the matching NovaError in data too, so clients read one shape. */
const failure = (id: Id, code: number, message: string, data: unknown = { code: code === METHOD_NOT_FOUND ? 'NOT_FOUND' : code === -32603 ? 'INTERNAL' : 'INVALID_INPUT', message }): Reply => ({
  jsonrpc: '2.0', id, error: { code, message, data },
});

export function errorReply(id: Id | undefined, err: NovaError): Reply {
  return failure(id ?? null, RPC_CODE[err.code], err.message, redact(err.toJSON()));
}

export interface MessageContext {
  dispatcher: Dispatcher;
  transport: Transport;
  /** This connection's id (see CallContext.client). */
  client?: string;
  signal?: AbortSignal;
}

/** Handles one JSON-RPC message (or batch). Returns undefined when nothing is to be sent back. */
export async function handleMessage(text: string, ctx: MessageContext): Promise<Reply | Reply[] | undefined> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return failure(null, PARSE_ERROR, 'parse error: not JSON');
  }
  if (!Array.isArray(msg)) return one(msg, ctx);
  if (msg.length === 0) return failure(null, INVALID_REQUEST, 'invalid request: empty batch');
  if (msg.length > MAX_BATCH) return failure(null, INVALID_REQUEST, `invalid request: a batch holds at most ${MAX_BATCH} requests (this one has ${msg.length}); split it`);
  const replies = (await Promise.all(msg.map((m) => one(m, ctx)))).filter((r): r is Reply => r !== undefined);
  return replies.length ? replies : undefined;
}

async function one(msg: unknown, ctx: MessageContext): Promise<Reply | undefined> {
  const req = msg as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown } | null;
  const shaped = req !== null && typeof req === 'object' && !Array.isArray(req);
  const id: Id = shaped && validId(req.id) ? req.id : null;
  if (!shaped || req.jsonrpc !== '2.0' || typeof req.method !== 'string') {
    return failure(id, INVALID_REQUEST, 'invalid request: expected {"jsonrpc":"2.0", "method": string, "params"?, "id"?}');
  }
  if ('id' in req && !validId(req.id)) {
    return failure(null, INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null');
  }
  const notification = !('id' in req);
  if (!isMethod(req.method)) {
    return notification ? undefined : failure(id, METHOD_NOT_FOUND, `method not found: "${req.method.slice(0, 100)}" is not part of Nova's API`);
  }
  let reply: Reply;
  try {
    const result = await ctx.dispatcher.call(req.method, req.params, { transport: ctx.transport, remote: true, signal: ctx.signal, ...(ctx.client ? { client: ctx.client } : {}) });
    reply = result.ok ? { jsonrpc: '2.0', id, result: result.value } : errorReply(id, toNovaError(result.error));
  } catch (e) {
    // Only a hostile input gets here (e.g. params nested so deep that copying them overflows).
    reply = failure(id, RPC_CODE.INTERNAL, `internal error: ${e instanceof RangeError ? 'input too deeply nested' : 'the request could not be handled'}`);
  }
  return notification ? undefined : reply;
}

export const eventNotification = (event: string, payload: unknown): Reply => ({
  jsonrpc: '2.0',
  method: 'event',
  params: { event, payload: redact(payload) },
});

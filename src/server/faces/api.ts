import { isMethod } from '../../shared/contract.js';
import type { NovaErrorData } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';
import type { Dispatcher } from '../../core/rpc/dispatcher.js';
import { HTTP_STATUS } from './openapi.js';

// `POST /api/<method>`: the contract as plain HTTP for OpenAPI clients. The body is the input
// (empty = defaults), 200 carries the output, a NovaError comes back as {error} with a status.

export interface ApiReply {
  status: number;
  body: unknown;
}

const failure = (error: NovaErrorData): ApiReply => ({ status: HTTP_STATUS[error.code], body: { error: redact(error) } });

export async function apiCall(method: string, body: string, dispatcher: Dispatcher, signal?: AbortSignal): Promise<ApiReply> {
  if (!isMethod(method)) return failure({ code: 'NOT_FOUND', message: `"${method.slice(0, 100)}" is not part of Nova's API (see /openapi.json)` });
  let input: unknown;
  try {
    input = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    return failure({ code: 'INVALID_INPUT', message: 'the body is not JSON' });
  }
  try {
    const result = await dispatcher.call(method, input, { transport: 'http', remote: true, signal });
    return result.ok ? { status: 200, body: result.value } : failure(result.error);
  } catch (e) {
    // As in jsonrpc.ts: only a hostile input (nested too deep to copy) gets here.
    return failure({ code: 'INTERNAL', message: e instanceof RangeError ? 'input too deeply nested' : 'the request could not be handled' });
  }
}

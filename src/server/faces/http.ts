import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Dispatcher } from '../../core/rpc/dispatcher.js';
import { createMcpServer } from '../mcp/server.js';
import { apiCall } from './api.js';
import { openApiDocument } from './openapi.js';

// The extra HTTP faces of `nova serve`. server.ts has already checked Host, Origin, token (or
// session cookie), rate and body size before any of these run; they only translate.

export interface FaceOptions {
  dispatcher: Dispatcher;
  mcpAllowWrite: boolean;
  novafile?: string;
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void =>
  void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

let openApiText: string | undefined;

/** GET /openapi.json: a description of the API, public like the UI's files (Host still checked). */
export function serveOpenApi(res: ServerResponse): void {
  openApiText ??= JSON.stringify(openApiDocument());
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(openApiText);
}

/** POST /api/<method>. */
export async function serveApi(method: string, body: string, res: ServerResponse, opts: FaceOptions): Promise<void> {
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const reply = await apiCall(method, body, opts.dispatcher, abort.signal);
  sendJson(res, reply.status, reply.body);
}

/**
 * POST /mcp, Streamable HTTP without sessions: each request gets its own MCP server over the
 * one dispatcher (cheap: no state, the tool list is cached) and plain JSON replies.
 */
export async function serveMcp(req: IncomingMessage, res: ServerResponse, body: string, opts: FaceOptions): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: not JSON' } });
  }
  const server = createMcpServer({ dispatcher: opts.dispatcher, allowWrite: opts.mcpAllowWrite, transport: 'http', novafile: opts.novafile });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.once('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, parsed);
}

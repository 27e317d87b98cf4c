import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { NOVA_VERSION } from '../../core/host/probe.js';
import type { Dispatcher, Transport } from '../../core/rpc/dispatcher.js';
import { listResources, readResource } from './resources.js';
import { callTool, offered, toolOf } from './tools.js';

export interface McpOptions {
  dispatcher: Dispatcher;
  /** Offer (and run) the procedures that change the host. */
  allowWrite: boolean;
  transport: Transport;
  novafile?: string;
}

const INSTRUCTIONS =
  'Nova manages VMs, capsules (containers), networks and GPU passthrough on this Linux host. Read nova://resources and nova://host/info first. ' +
  'Tools are the procedures of Nova\'s contract (vm_start is `nova vm start`); without --allow-write only reads are offered.';

/** One MCP server over the one dispatcher; connect it to a stdio or Streamable HTTP transport. */
export function createMcpServer(opts: McpOptions): Server {
  const server = new Server({ name: 'nova', title: 'Nova', version: NOVA_VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: offered(opts.dispatcher, opts.allowWrite).map(toolOf) }));
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => callTool(req.params.name, req.params.arguments, opts, extra.signal));
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: listResources(opts) }));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => readResource(req.params.uri, opts));
  return server;
}

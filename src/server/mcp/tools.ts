import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { isMethod, procedures } from '../../shared/contract.js';
import type { Method } from '../../shared/contract.js';
import { effectOf } from '../../shared/contract/effects.js';
import { redact } from '../../shared/redact.js';
import type { Dispatcher, Transport } from '../../core/rpc/dispatcher.js';
import { methodSchemas } from '../faces/schemas.js';

// The contract as MCP tools: one tool per procedure that has a backend in this build. Names use
// `_` for the contract's `.` (`vm.start` → `vm_start`), as the common model APIs allow only
// [A-Za-z0-9_-]. Reads are offered always; what changes the host only with --allow-write.

/** Interactive sessions (a pty, typed input) have no meaning for a tool call. */
const NOT_TOOLS = /^terminal\./;

export const toolName = (method: string): string => method.replace(/\./g, '_');
const methodOf = (tool: string): string => tool.replace(/_/g, '.');

export interface ToolOptions {
  dispatcher: Dispatcher;
  allowWrite: boolean;
  transport: Transport;
}

export function offered(dispatcher: Dispatcher, allowWrite: boolean): Method[] {
  return dispatcher.methods().filter((m) => !NOT_TOOLS.test(m) && (allowWrite || effectOf(m).readOnly));
}

export function toolOf(method: Method): Tool {
  const effect = effectOf(method);
  const { input, output } = methodSchemas(method);
  return {
    name: toolName(method),
    title: method,
    description: procedures[method].summary,
    inputSchema: input as Tool['inputSchema'],
    outputSchema: output as Tool['outputSchema'],
    annotations: {
      title: method,
      readOnlyHint: effect.readOnly,
      destructiveHint: effect.destructive,
      idempotentHint: effect.idempotent,
      // Nova acts on this host only (a pull reaches a registry, but is not the point of it).
      openWorldHint: false,
    },
  };
}

const refusal = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

export async function callTool(name: string, args: unknown, opts: ToolOptions, signal?: AbortSignal): Promise<CallToolResult> {
  const method = methodOf(name);
  if (!isMethod(method) || NOT_TOOLS.test(method)) return refusal(`no tool "${name}" (tools/list shows what there is)`);
  if (!opts.allowWrite && !effectOf(method).readOnly) {
    return refusal(`PERMISSION: ${name} changes the host; this MCP server is read-only (start it with \`nova mcp --allow-write\`, or \`nova serve --mcp-allow-write\`)`);
  }
  const result = await opts.dispatcher.call(method, args ?? {}, { transport: opts.transport, remote: opts.transport !== 'inproc', signal });
  if (!result.ok) {
    const e = redact(result.error);
    return refusal(`${e.code}: ${e.message}${e.details === undefined ? '' : `\n${JSON.stringify(e.details)}`}`);
  }
  const value = redact(result.value) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

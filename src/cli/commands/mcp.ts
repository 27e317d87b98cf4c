import { findNovafile } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';

/** The current project's NovaFile for the MCP resource, if there is one. */
export function projectNovafile(path: string | undefined): string | undefined {
  try {
    return findNovafile(path);
  } catch {
    return undefined;
  }
}

export function registerMcpCommand(ctx: CliContext): void {
  ctx.program
    .command('mcp')
    .description('Serve the contract to AI assistants over MCP on stdin/stdout (read-only tools unless --allow-write; `nova serve` has it on /mcp)')
    .option('--allow-write', 'also offer the tools that change the host (start, stop, delete, bind, up, …)', false)
    .action(async (o: { allowWrite: boolean }) => {
      // Loaded when run (the bundle inits it lazily): every other command starts without the MCP SDK.
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('../../server/mcp/server.js')]);
      const server = createMcpServer({
        dispatcher: ctx.engine.dispatcher,
        allowWrite: o.allowWrite,
        transport: 'inproc',
        novafile: projectNovafile(ctx.opts.novafile),
      });
      const transport = new StdioServerTransport();
      // stdout is the protocol from here on: nothing else may print to it.
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once('end', () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close();
    });
}

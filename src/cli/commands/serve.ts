import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { findBuildOutput } from '../../core/sys/assets.js';
import type { CliContext } from '../context.js';
import { writeErr, writeOut } from '../terminal.js';
import { projectNovafile } from './mcp.js';

/** out/renderer next to the bundle (out/cli) or to the sources (src/cli/commands). */
export function rendererDir(): string | undefined {
  const index = findBuildOutput(join('renderer', 'index.html'));
  return index ? dirname(index) : undefined;
}

export function registerServeCommand(ctx: CliContext): void {
  ctx.program
    .command('serve')
    .description('Serve the UI and the API (JSON-RPC on /rpc, POST /api/<method> described by /openapi.json, MCP on /mcp, Prometheus /metrics) for headless hosts and browsers')
    .option('--host <addr>', 'address to bind (keep it on loopback unless you know why)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '7878')
    .option('--token-file <path>', 'read the access token from this file instead of a random one')
    .option('--allow-host <name>', 'also answer requests for this Host name (repeatable; loopback names and the bound address always)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--mcp-allow-write', 'MCP on /mcp also offers the tools that change the host (start, stop, delete, …)', false)
    .option('--socket [path]', 'serve the API on a 0600 unix socket for other Nova hosts over SSH (default <runtime>/serve.sock; the token persists in <config>/serve.token); no TCP port unless --port is given')
    .option('--metrics-listen <[host:]port>', 'also serve Prometheus /metrics without a token on this address (loopback when no host is given)')
    .action(async (o: { host: string; port: string; tokenFile?: string; allowHost: string[]; mcpAllowWrite: boolean; metricsListen?: string; socket?: string | boolean }, cmd: Command) => {
      // The server, prom-client and ws load when serving (lazily initialised in the bundle), not for every command.
      const [{ metricsFor }, { startMetricsListener }, { startServer }, { defaultSocketPath, persistentToken }, { startLocalSocket }] = await Promise.all([
        import('../../server/metrics.js'),
        import('../../server/metrics-http.js'),
        import('../../server/server.js'),
        import('../../server/unix.js'),
        import('../../server/local-socket.js'),
      ]);
      const engine = ctx.engine;
      const socket = o.socket === true ? defaultSocketPath(engine.paths) : o.socket || undefined;
      // A socket server's token persists (remote hosts read it through <socket>.token).
      const token = o.tokenFile ? (await readFile(o.tokenFile, 'utf8')).trim() : socket ? await persistentToken(engine.paths) : undefined;
      if (o.tokenFile && !token) throw new Error(`${o.tokenFile} is empty`);
      const tcp = !socket || cmd.getOptionValueSource('port') === 'cli';
      metricsFor(engine); // RPC counts and latencies from the first call on
      // Listen first, reconcile after (hydrate, restart policies): the UI opens at once and shows
      // the host converging instead of a long blank start.
      const server = await startServer({ engine, host: o.host, port: Number(o.port), token, staticDir: rendererDir(), allowedHosts: o.allowHost,
        mcpAllowWrite: o.mcpAllowWrite, novafile: projectNovafile(ctx.opts.novafile), ...(socket ? { socket, tcp } : {}) });
      const metrics = o.metricsListen ? await startMetricsListener(engine, o.metricsListen, o.allowHost) : undefined;
      // New `nova` processes of this user ask this engine over its local socket instead of building their own.
      const local = await startLocalSocket(engine.dispatcher, engine.paths).catch((e: unknown) => {
        writeErr(`nova serve: no local socket for the CLI (${(e as Error).message}); \`nova\` commands build their own engine\n`);
        return undefined;
      });
      const started = engine.start().catch((e: unknown) => {
        writeErr(`nova serve: starting the engine's services failed: ${(e as Error).message}\n`);
        engine.bus.emit('notification', { level: 'error', title: 'Nova could not start every service', body: (e as Error).message });
      });
      const loopback = !tcp || /^(127\.|::1$|localhost$)/.test(o.host);
      writeOut(
        `Nova is serving on ${server.url}\n` +
          (socket ? `API on the unix socket ${socket} (0600); add this host elsewhere with: nova host add NAME ssh://${userInfo().username}@ADDRESS${socket}\n` : '') +
          (metrics ? `Prometheus metrics without a token on ${metrics.url}/metrics\n` : '') +
          // Our own terminal only; a browser started with it as an argument would show it in /proc.
          (token || !tcp ? '' : `Open (paste into a browser's address bar, never as a command-line argument): ${server.url}/#token=${server.token}\n`) +
          (loopback ? '' : 'warning: not bound to loopback — anyone who can reach this port and has the token controls this host\n') +
          (metrics && !/^(127\.|::1$|localhost$)/.test(metrics.host) ? `warning: /metrics on ${metrics.url} is readable without a token by anyone who can reach it\n` : ''),
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await started;
      await local?.close();
      await metrics?.close();
      await server.close();
    });
}

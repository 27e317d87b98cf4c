// The fast path of a new `nova` process, loaded on its own (out/cli/nova-fast.cjs) by
// bin/nova.mjs before the full bundle, for commands that are one read and a print (`nova ls`):
// - when a long-lived engine of this user (`nova serve`) listens on its local socket
//   (src/server/local-socket.ts), ask it instead of building an engine (NOVA_NO_SOCKET=1 skips it);
// - otherwise list in this process with the engine's own row code (src/cli/lean-list.ts), without
//   loading the full CLI (zod, commander, every command module and engine area).
// Anything it does not handle — another command, another host (--host, NOVA_HOST), a refused
// token, an error — falls through to the full CLI, which then answers exactly as it always does.
import { readFileSync } from 'node:fs';
import { resolvePaths } from '../core/sys/paths.js';
import { formatResourceList } from './commands/ls-format.js';
import { listInProcess } from './lean-list.js';
import { printJson } from './output.js';
import { writeOut } from './terminal.js';

interface FastCommand {
  method: string;
  params: Record<string, string>;
  json: boolean;
  human(value: unknown): string;
}

const LS_OPTIONS = new Set(['kind', 'project']);

/** `nova [--json] ls [--json] [--kind K] [--project P]` (also --opt=value); undefined for anything else. */
export function parseFast(argv: readonly string[]): FastCommand | undefined {
  let json = false;
  let command: string | undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (!command && a === 'ls') command = a;
    else if (command && a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (!LS_OPTIONS.has(name) || value === undefined || value.startsWith('-') || name in params) return undefined;
      params[name] = value;
    } else return undefined;
  }
  if (command !== 'ls') return undefined;
  return { method: 'resource.list', params, json, human: (v) => formatResourceList(v as Parameters<typeof formatResourceList>[0]) };
}

/** One JSON-RPC call on the local socket; undefined when no engine answers it with a result. */
export function callLocal(method: string, params: unknown, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const paths = resolvePaths(env);
  let token: string;
  try {
    token = readFileSync(`${paths.runtime}/api.token`, 'utf8').trim();
  } catch {
    return Promise.resolve(undefined); // no engine serving this user (or not ours to read)
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  // Loaded here, not at the top: the in-process path never needs HTTP.
  const { request } = process.getBuiltinModule('node:http');
  const { connect } = process.getBuiltinModule('node:net');
  const socketPath = `${paths.runtime}/api.sock`;
  return new Promise((resolve) => {
    const req = request(
      // Our own connection, not the global agent's: the agent works out a TLS server name for every
      // request, and its net.isIP check compiles Node's IPv6 expression, ~14 ms of a cold start.
      { createConnection: () => connect(socketPath), path: '/rpc', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            const reply = JSON.parse(text) as { result?: unknown; error?: unknown } | null;
            resolve(res.statusCode === 200 && reply && 'result' in reply ? reply.result : undefined);
          } catch {
            resolve(undefined);
          }
        });
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined)); // ENOENT, ECONNREFUSED: a stale token file
    req.end(body);
  });
}

/** The exit code when the fast path answered the command; undefined to run the full CLI. */
export async function runFast(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  if (env.NOVA_HOST) return undefined; // another host's engine answers, through the full CLI
  const cmd = parseFast(argv);
  if (!cmd) return undefined;
  const value = (env.NOVA_NO_SOCKET ? undefined : await callLocal(cmd.method, cmd.params, env)) ?? (await listInProcess(cmd.params, env));
  if (value === undefined) return undefined;
  if (cmd.json) printJson(value);
  else {
    const text = cmd.human(value);
    if (text) writeOut(`${text}\n`);
  }
  return 0;
}

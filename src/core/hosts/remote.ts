import { connect } from 'node:net';
import WebSocket from 'ws';
import { NovaError } from '../../shared/errors.js';
import { rpcPeer } from '../../shared/rpc-peer.js';
import type { RpcPeer } from '../../shared/rpc-peer.js';
import { NOVA_VERSION } from '../host/probe.js';
import { openForward } from './ssh.js';
import type { Forward } from './ssh.js';
import type { SshTarget } from './url.js';

// One live connection to a remote Nova: the SSH forward, the token read through it, and a
// WebSocket JSON-RPC client on the forwarded socket. Versions must match exactly: the contract
// is shared code, and a mismatch is refused with both versions named.

/** Reads the token the remote `nova serve --socket` hands out on `<socket>.token`. */
async function readToken(path: string, host: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const got = await new Promise<string | Error>((resolve) => {
      let text = '';
      const s = connect(path);
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d).length > 4096 && s.destroy());
      s.on('end', () => resolve(text.trim()));
      s.on('error', (e) => resolve(e));
      s.setTimeout(10_000, () => s.destroy(new Error('no answer in 10 s')));
    });
    if (typeof got === 'string' && got) return got;
    // ssh binds before it listens; a refused connect right after it appeared is retried.
    if (got instanceof Error && (got as NodeJS.ErrnoException).code === 'ECONNREFUSED' && attempt < 5) {
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      continue;
    }
    throw new NovaError('HOST_UNSUPPORTED', `host "${host}": the remote nova serve is not listening on its socket${got instanceof Error ? ` (${got.message})` : ''}: run \`nova serve --socket\` on that host (as the SSH user)`, { field: 'host', host });
  }
}

async function openRpc(apiSocket: string, token: string, host: string): Promise<{ peer: RpcPeer; ws: WebSocket }> {
  const ws = new WebSocket(`ws+unix://${apiSocket}:/rpc`, ['nova.rpc'], { headers: { host: 'localhost', authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (e) => reject(new NovaError('HOST_UNSUPPORTED', `host "${host}": cannot open its API (${e.message}): is \`nova serve --socket\` running there?`, { host })));
    ws.once('unexpected-response', (_req, res) => reject(new NovaError('PERMISSION', `host "${host}": its nova serve refused the token (HTTP ${res.statusCode})`, { host })));
  });
  (ws as unknown as { _socket?: { setNoDelay?: (v: boolean) => void } })._socket?.setNoDelay?.(true);
  const peer = rpcPeer((text) => ws.send(text));
  ws.on('message', (data) => peer.receive(String(data)));
  ws.on('error', () => undefined);
  ws.on('close', () => peer.failAll(`host "${host}": the connection closed`));
  return { peer, ws };
}

export interface RemoteUsage {
  version: string;
}

export class RemoteConnection {
  private closed = false;
  readonly down: Promise<string>;

  private constructor(
    readonly host: string,
    private forward: Forward,
    private ws: WebSocket,
    private peer: RpcPeer,
  ) {
    this.down = Promise.race([
      forward.exited,
      new Promise<string>((resolve) => ws.once('close', () => resolve(`host "${host}": its API connection closed`))),
    ]);
  }

  /** Forward, token, API, version check — or a NovaError naming what failed and the fix. */
  static async open(host: string, target: SshTarget, knownHosts: string, runDir: string, timeoutMs = 10_000): Promise<RemoteConnection> {
    const forward = await openForward(host, target, knownHosts, runDir, timeoutMs);
    try {
      const token = await readToken(forward.paths.token, host);
      const { peer, ws } = await openRpc(forward.paths.api, token, host);
      const conn = new RemoteConnection(host, forward, ws, peer);
      await conn.checkVersion().catch(async (e: unknown) => {
        await conn.close();
        throw e;
      });
      return conn;
    } catch (e) {
      await forward.close();
      throw e;
    }
  }

  private async checkVersion(): Promise<void> {
    const usage = (await this.call('host.usage', {}, 15_000).catch((e: NovaError) => {
      if (/unknown method|not found/i.test(e.message)) return { version: 'older than 0.1.0 (no host.usage)' };
      throw e;
    })) as { version?: string };
    if (usage.version !== NOVA_VERSION) {
      throw new NovaError('CONFLICT', `host "${this.host}" runs Nova ${usage.version ?? 'of an unknown version'}, this one ${NOVA_VERSION}: install the same Nova version on both hosts (the API between them is not versioned across releases)`, { host: this.host, remote: usage.version, local: NOVA_VERSION });
    }
  }

  get alive(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN && this.forward.child.exitCode === null;
  }

  async call(method: string, input: unknown, timeoutMs?: number): Promise<unknown> {
    if (!this.alive) throw new NovaError('HOST_UNSUPPORTED', `host "${this.host}" is not connected`, { host: this.host });
    const call = this.peer.call(method, input);
    if (!timeoutMs) return call;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NovaError('TIMEOUT', `host "${this.host}": ${method} did not answer within ${timeoutMs} ms`, { host: this.host })), timeoutMs);
    });
    try {
      return await Promise.race([call, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  on(event: string, fn: (payload: unknown) => void): () => void {
    return this.peer.on(event, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ws.terminate();
    await this.forward.close();
  }
}

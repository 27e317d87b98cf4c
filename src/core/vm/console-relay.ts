// The in-app console: QEMU serves VNC on a unix socket in the VM's 0700 runtime folder only, and
// Nova's own servers (`nova serve`, the app's console proxy) relay it to an authenticated
// WebSocket (noVNC speaks RFB in binary frames). The callers do the sign-in checks; this file
// only finds the socket of a running VM and pipes bytes both ways with backpressure.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Dispatcher } from '../rpc/dispatcher.js';
import { NovaError, toNovaError } from '../../shared/errors.js';

/** Bytes a slow browser may leave unread before we stop reading from QEMU. */
const HIGH_WATER = 1024 * 1024;
const PREFIX = '/console/';

/** The VM name of a `/console/NAME` request path, or undefined for any other path. */
export function consoleTarget(url: string | undefined): string | undefined {
  const path = (url ?? '/').split('?')[0]!;
  if (!path.startsWith(PREFIX)) return undefined;
  try {
    const name = decodeURIComponent(path.slice(PREFIX.length));
    return name && !name.includes('/') ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Connects to a running VM's VNC socket (the engine checks the name and that it runs). */
export async function openVncSocket(dispatcher: Dispatcher, vm: string): Promise<Socket> {
  const { vncSocket } = await dispatcher.invoke<'vm.console'>('vm.console', { name: vm });
  return new Promise((resolve, reject) => {
    const sock = connect(vncSocket);
    sock.once('connect', () => resolve(sock));
    sock.once('error', (e) => reject(new NovaError('CONFLICT', `the console of ${vm} is not answering: ${e.message}`)));
  });
}

/** Pipes a WebSocket and a VNC socket into each other until either side ends. */
export function relay(ws: WebSocket, vnc: Socket): void {
  const close = () => {
    vnc.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  vnc.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (vnc.isPaused() && ws.bufferedAmount < HIGH_WATER) vnc.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) vnc.pause();
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (!vnc.write(bytes)) ws.pause();
  });
  vnc.on('drain', () => ws.resume());
  vnc.on('error', close).on('close', close);
  ws.on('error', () => ws.terminate());
  ws.on('close', close);
}

/** What an upgrade handler needs after it has signed the request in. */
export interface ConsoleAcceptor {
  /** Upgrades and relays; answers the raw socket with an HTTP error when the VM has no console. */
  accept(req: IncomingMessage, socket: Socket, head: Buffer, vm: string): Promise<void>;
  close(): void;
}

const STATUS: Record<string, number> = { NOT_FOUND: 404, INVALID_INPUT: 400, CONFLICT: 409, PERMISSION: 403 };

export function consoleAcceptor(dispatcher: Dispatcher, maxPayload = 1024 * 1024): ConsoleAcceptor {
  // noVNC offers "binary" (and the sign-in subprotocol, which is never echoed back).
  const wss = new WebSocketServer({ noServer: true, maxPayload, handleProtocols: (p) => (p.has('binary') ? 'binary' : false) });
  const live = new Set<WebSocket>();
  return {
    async accept(req, socket, head, vm) {
      let vnc: Socket;
      try {
        vnc = await openVncSocket(dispatcher, vm);
      } catch (e) {
        const err = toNovaError(e);
        socket.end(`HTTP/1.1 ${STATUS[err.code] ?? 500} No console\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n${err.message}\n`);
        return;
      }
      if (socket.destroyed) return void vnc.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => {
        live.add(ws);
        ws.on('close', () => live.delete(ws));
        relay(ws, vnc);
      });
    },
    close() {
      for (const ws of live) ws.terminate();
      wss.close();
    },
  };
}

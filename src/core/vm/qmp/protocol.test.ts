// The QMP wire layer against a scripted peer on a real unix socket: what QEMU does on the wire
// (greeting, capabilities, events interleaved with replies, torn chunks) and what it never should
// (a malformed line, an error reply, a close mid-command).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpError, QmpProtocol } from './protocol.js';
import type { QmpEvent } from './protocol.js';

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: ['oob'] } };
const line = (v: unknown) => `${JSON.stringify(v)}\n`;

interface Command {
  execute: string;
  arguments?: Record<string, unknown>;
  id: string;
}

let dir: string;
let server: Server | undefined;
const peers: Socket[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-qmp-'));
});
afterEach(async () => {
  for (const s of peers.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A QMP peer: greets (unless told not to), answers qmp_capabilities, hands other commands to `script`. */
async function peer(script: (cmd: Command, sock: Socket) => void, opts: { greet?: boolean } = {}): Promise<{ path: string; seen: Command[] }> {
  const path = join(dir, 'qmp.sock');
  const seen: Command[] = [];
  server = createServer((sock) => {
    peers.push(sock);
    sock.setEncoding('utf8');
    if (opts.greet !== false) sock.write(line(GREETING));
    let buf = '';
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Command;
        buf = buf.slice(nl + 1);
        seen.push(cmd);
        if (cmd.execute === 'qmp_capabilities') sock.write(line({ return: {}, id: cmd.id }));
        else script(cmd, sock);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(path, r));
  return { path, seen };
}

describe('QmpProtocol', () => {
  it('greets, negotiates capabilities, and matches replies by id with events and junk in between', async () => {
    const { path, seen } = await peer((cmd, sock) => {
      if (cmd.execute === 'query-status') {
        // An event first, a line that is not JSON, then the reply torn across two writes.
        sock.write(line({ event: 'RESUME', data: {}, timestamp: { seconds: 1, microseconds: 2 } }));
        sock.write('{"this is not json\n');
        const reply = line({ return: { status: 'running', running: true }, id: cmd.id });
        sock.write(reply.slice(0, 10));
        setImmediate(() => sock.write(reply.slice(10)));
      }
      // Queued behind the torn reply's second half, as QEMU writes whole lines in order.
      if (cmd.execute === 'query-name') setImmediate(() => sock.write(line({ event: 'STOP' }) + line({ return: { name: 'vm1' }, id: cmd.id })));
    });
    const qmp = await QmpProtocol.connect(path);
    try {
      expect(qmp.version?.qemu).toEqual({ major: 7, minor: 2, micro: 0 });
      expect(seen[0]?.execute).toBe('qmp_capabilities');
      const events: QmpEvent[] = [];
      qmp.on('event', (e) => events.push(e));
      const [status, name] = await Promise.all([qmp.execute('query-status'), qmp.execute('query-name')]);
      expect(status).toEqual({ status: 'running', running: true });
      expect(name).toEqual({ name: 'vm1' });
      expect(events.map((e) => e.event).sort()).toEqual(['RESUME', 'STOP']);
      // Every command carries its own id; arguments pass through untouched.
      expect(new Set(seen.map((c) => c.id)).size).toBe(seen.length);
    } finally {
      qmp.close();
    }
  });

  it('answers out of order still reach the right caller', async () => {
    const held: Command[] = [];
    const { path } = await peer((cmd, sock) => {
      held.push(cmd);
      if (held.length === 2) for (const c of [...held].reverse()) sock.write(line({ return: { echo: c.arguments?.n }, id: c.id }));
    });
    const qmp = await QmpProtocol.connect(path);
    try {
      const [a, b] = await Promise.all([qmp.execute('echo', { n: 1 }), qmp.execute('echo', { n: 2 })]);
      expect([a, b]).toEqual([{ echo: 1 }, { echo: 2 }]);
    } finally {
      qmp.close();
    }
  });

  it('an error reply rejects with QmpError; CommandNotFound means the host QEMU lacks it', async () => {
    const { path } = await peer((cmd, sock) => {
      const error = cmd.execute === 'snapshot-save' ? { class: 'GenericError', desc: 'No block device can accept snapshots' } : { class: 'CommandNotFound', desc: `The command ${cmd.execute} has not been found` };
      sock.write(line({ error, id: cmd.id }));
    });
    const qmp = await QmpProtocol.connect(path);
    try {
      const generic = await qmp.execute('snapshot-save').catch((e: unknown) => e);
      expect(generic).toBeInstanceOf(QmpError);
      expect(generic).toMatchObject({ code: 'INTERNAL', errorClass: 'GenericError', message: 'QMP snapshot-save: No block device can accept snapshots' });
      await expect(qmp.execute('x-new-thing')).rejects.toMatchObject({ code: 'HOST_UNSUPPORTED', errorClass: 'CommandNotFound' });
    } finally {
      qmp.close();
    }
  });

  it('a close before the reply rejects the waiting command and emits close', async () => {
    const { path } = await peer((_cmd, sock) => sock.destroy());
    const qmp = await QmpProtocol.connect(path);
    const closed = new Promise<void>((r) => qmp.once('close', () => r()));
    await expect(qmp.execute('quit')).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('connection closed before the reply') });
    await closed;
    expect(qmp.isClosed).toBe(true);
    await expect(qmp.execute('query-status')).rejects.toMatchObject({ message: 'QMP query-status: connection closed' });
  });

  it('no greeting (another client holds the socket) is a TIMEOUT that says so; no socket is NOT_FOUND', async () => {
    const { path } = await peer(() => undefined, { greet: false });
    await expect(QmpProtocol.connect(path, { greetingTimeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('another client holds the socket') });
    await expect(QmpProtocol.connect(join(dir, 'absent.sock'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

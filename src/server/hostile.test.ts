// `nova serve` as a real process against clients that break the rules: bad frames, huge frames,
// absurd ids, empty and giant batches, bodies it must not read. After each one the same server
// must still answer a well-behaved client.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { connectNode } from './client.js';

const root = join(import.meta.dirname, '..', '..');
let home: TempHome;
let serve: ChildProcess;
let url: string;
let port: number;
let token: string;
let exited: string | undefined;

beforeAll(async () => {
  home = await tempHome();
  // The sources, not a possibly stale out/ bundle.
  serve = spawn(process.execPath, [join(root, 'bin', 'nova.mjs'), 'serve', '--port', '0'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  serve.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  serve.once('exit', (code, signal) => (exited = `nova serve exited (${code ?? signal}): ${out.slice(-2000)}`));
  await new Promise<void>((resolve, reject) => {
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/#token=\S+\n/.test(out)) resolve();
    });
    serve.once('exit', () => reject(new Error(exited)));
  });
  url = /serving on (http:\/\/\S+)/.exec(out)![1]!;
  port = Number(new URL(url).port);
  token = /#token=(\S+)/.exec(out)![1]!;
}, 120_000);

afterAll(async () => {
  serve?.kill('SIGTERM');
  await home?.cleanup();
});

/** A raw TCP connection that has done the WebSocket handshake with the token. */
async function rawSocket(): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  s.write(
    `GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Protocol: nova.rpc\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(head));
    };
    s.on('data', onData);
  });
  return s;
}

/** One WebSocket frame; `mask: false` and `rsv` break the rules on purpose. */
function frame(payload: Buffer, o: { opcode?: number; mask?: boolean; rsv?: number; length?: number } = {}): Buffer {
  const len = o.length ?? payload.length;
  const head = [0x80 | (o.rsv ?? 0) | (o.opcode ?? 1)];
  const m = o.mask === false ? 0 : 0x80;
  let ext = Buffer.alloc(0);
  if (len < 126) head.push(m | len);
  else if (len < 65536) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  if (o.mask === false) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** Sends bytes and waits until the server has ended this connection (it must, for bad input). */
async function sendUntilClosed(bytes: Buffer, reset = false): Promise<void> {
  const s = await rawSocket();
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  s.write(bytes);
  if (reset) s.resetAndDestroy();
  await closed;
}

/** A JSON-RPC exchange over a raw socket with proper masked frames; the first reply frame. */
async function exchange(text: string): Promise<unknown> {
  const s = await rawSocket();
  const reply = new Promise<unknown>((resolve) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      // Frame by frame: event notifications (the engine's live samples) may come before the reply.
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) [len, off] = [buf.readUInt16BE(2), 4];
        else if (len === 127) [len, off] = [Number(buf.readBigUInt64BE(2)), 10];
        if (buf.length < off + len) return;
        const msg = JSON.parse(buf.subarray(off, off + len).toString()) as { method?: string; id?: unknown };
        buf = buf.subarray(off + len);
        if (!(msg.method === 'event' && msg.id === undefined)) return resolve(msg);
      }
    });
  });
  s.write(frame(Buffer.from(text)));
  const r = await reply;
  s.destroy();
  return r;
}

async function stillAnswers(): Promise<void> {
  expect(exited).toBeUndefined();
  const c = await connectNode(url, token);
  expect(await c.call('prefs.get', {})).toMatchObject({ theme: expect.any(String) });
  c.close();
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('nova serve survives hostile WebSocket clients', () => {
  const killers: [string, () => Promise<void>][] = [
    ['an unmasked frame', () => sendUntilClosed(frame(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"host.info"}'), { mask: false }))],
    ['a frame with reserved bits set', () => sendUntilClosed(frame(Buffer.from('{}'), { rsv: 0x70 }))],
    ['a frame with an unknown opcode', () => sendUntilClosed(frame(Buffer.from('x'), { opcode: 0x3 }))],
    ['a text frame that is not UTF-8', () => sendUntilClosed(frame(Buffer.from([0xff, 0xfe, 0xfd])))],
    ['an 8 MiB frame', () => sendUntilClosed(frame(randomBytes(8 * 1024 * 1024)))],
    ['a frame announcing 2^62 bytes', () => sendUntilClosed(frame(Buffer.alloc(16), { length: 2 ** 62 }))],
    ['a connection reset in the middle of a frame', () => sendUntilClosed(frame(Buffer.alloc(4096)).subarray(0, 1000), true)],
  ];
  for (const [name, attack] of killers) {
    it(`${name}: that client is dropped, the server keeps answering`, async () => {
      await attack();
      await stillAnswers();
    });
  }

  it('an id nested 10^4 deep is not echoed: invalid request with id null', async () => {
    const r = await exchange(`{"jsonrpc":"2.0","method":"host.info","id":${nested(10_000)}}`);
    expect(r).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('"id" must be') } });
    await stillAnswers();
  });

  it('params nested 10^5 deep get an error, not a crash', async () => {
    const r = await exchange(`{"jsonrpc":"2.0","method":"prefs.set","id":7,"params":${nested(100_000)}}`);
    expect(r).toMatchObject({ id: 7, error: { code: expect.any(Number) } });
    await stillAnswers();
  });

  it('JSON-RPC 2.0 codes: empty batch, oversized batch, unknown method, resource errors', async () => {
    expect(await exchange('[]')).toMatchObject({ id: null, error: { code: -32600 } });
    const big = JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'prefs.get' })));
    expect(await exchange(big)).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('at most 100') } });
    expect(await exchange('{"jsonrpc":"2.0","id":"a","method":"vm.explode"}')).toMatchObject({ id: 'a', error: { code: -32601 } });
    expect(await exchange('{"jsonrpc":"2.0","id":2,"method":"task.cancel","params":{"id":"nope"}}')).toMatchObject({ id: 2, error: { code: -32001, data: { code: 'NOT_FOUND' } } });
    expect(await exchange('{"jsonrpc":"2.0","id":3,"method":"task.cancel","params":{"id":42}}')).toMatchObject({ id: 3, error: { code: -32602, data: { code: 'INVALID_INPUT' } } });
    expect(await exchange('{"jsonrpc":"2.0","id":{"x":1},"method":"prefs.get"}')).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await exchange('not json')).toMatchObject({ id: null, error: { code: -32700 } });
    await stillAnswers();
  });
});

describe('nova serve over HTTP', () => {
  it('answers 401 to an unauthenticated 100 MB POST before reading its body', async () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    const answer = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
    s.write(`POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
    s.write(Buffer.alloc(64 * 1024, 0x20));
    // Only 64 KiB of the 100 MB were sent: an answer now means the body was not waited for.
    expect(await answer).toMatch(/^HTTP\/1\.1 401/);
    s.destroy();
    await stillAnswers();
  });

  it('refuses an authenticated body over the limit with 413', async () => {
    const r = await fetch(`${url}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: Buffer.alloc(6 * 1024 * 1024, 0x20) }).catch((e: Error) => e);
    if (r instanceof Response) expect(r.status).toBe(413);
    await stillAnswers();
  });

  it('refuses a Host that is not one of its names (DNS rebinding), on HTTP and WebSocket', async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"prefs.get"}';
    const post = (host: string) => rawHttp(`POST /rpc HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    expect(await post(`evil.example:${port}`)).toMatch(/^HTTP\/1\.1 421/);
    expect(await post(`localhost:${port}`)).toMatch(/^HTTP\/1\.1 200/);
    const upgrade = await rawHttp(`GET /rpc HTTP/1.1\r\nHost: evil.example:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: nova.rpc\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(upgrade).toMatch(/^HTTP\/1\.1 421/);
  });
});

/** A raw HTTP request; the first bytes of the answer. */
function rawHttp(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', reject);
    s.once('data', (d: Buffer) => {
      resolve(d.toString());
      s.destroy();
    });
    s.write(request);
  });
}

// VM consoles behind Nova's server: QEMU's VNC is a unix socket in the VM's 0700 runtime folder;
// `nova serve` relays it on /console/NAME after the same checks as the API (Host, Origin, token
// or session cookie). A real TCG guest, the real server, and a created stranger.
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../test/guest.js';
import { describeHost, tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { asUser, TestUsers } from '../test/users.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

const run = promisify(execFile);

/** The first message of the console WebSocket (the RFB greeting), or the HTTP status it was refused with. */
function openConsole(url: string, opts: { protocols?: string[]; headers?: Record<string, string> }): Promise<{ greeting?: string; status?: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? ['binary'], { headers: opts.headers ?? {} });
    ws.once('message', (d: Buffer) => resolve({ greeting: d.toString(), ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

describeHost('VM console relayed by nova serve', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio', 'useradd', 'setpriv'] }, () => {
  let home: TempHome;
  let engine: Engine;
  let server: RunningServer;
  let consoleUrl: string;
  let vncSocket: string;
  const users = new TestUsers();

  beforeAll(async () => {
    const guest = await ensureTestGuest();
    home = await tempHome('nova-con-');
    engine = home.engine();
    await engine.dispatcher.invoke('vm.create', { name: 'c', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1 } });
    await engine.dispatcher.invoke('vm.start', { name: 'c' });
    vncSocket = (await engine.dispatcher.invoke('vm.console', { name: 'c' })).vncSocket;
    // Open every folder above the VM's own runtime folder: only that 0700 folder may keep others out.
    for (const d of [home.dir, join(home.dir, 'run'), join(home.dir, 'run', 'vms')]) await chmod(d, 0o755).catch(() => undefined);
    server = await startServer({ engine, port: 0 });
    consoleUrl = `${server.url.replace('http:', 'ws:')}/console/c`;
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await engine?.dispatcher.invoke('vm.destroy', { name: 'c' }).catch(() => undefined);
    users.cleanup();
    await home?.cleanup();
  }, 60_000);

  it('the owner with the token gets the RFB greeting and a working session both ways', async () => {
    const r = await openConsole(consoleUrl, { protocols: ['binary', `nova.token.${server.token}`] });
    expect(r.greeting).toMatch(/^RFB 003\.00\d\n/);
    expect(r.ws!.protocol).toBe('binary'); // the token is never echoed back
    // Our version back: QEMU answers with its security types (the relay carries both directions).
    const types = await new Promise<Buffer>((resolve) => {
      r.ws!.once('message', (d: Buffer) => resolve(d));
      r.ws!.send(Buffer.from('RFB 003.008\n'));
    });
    expect(types[0]).toBeGreaterThan(0);
    r.ws!.close();
  });

  it("the browser page's session cookie works from its own Origin only", async () => {
    const { code } = (await (await fetch(`${server.url}/session/code`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })).json()) as { code: string };
    const signIn = await fetch(`${server.url}/session?code=${code}`, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await openConsole(consoleUrl, { headers: { cookie, origin: server.url } })).greeting).toMatch(/^RFB /);
    expect((await openConsole(consoleUrl, { headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await openConsole(consoleUrl, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses without the token, from a foreign Origin, under a foreign Host name; a stopped VM has no console', async () => {
    expect((await openConsole(consoleUrl, {})).status).toBe(401);
    expect((await openConsole(consoleUrl, { protocols: ['binary', 'nova.token.wrong'] })).status).toBe(401);
    expect((await openConsole(consoleUrl, { protocols: ['binary', `nova.token.${server.token}`], headers: { origin: 'http://127.0.0.1:1' } })).status).toBe(403);
    expect((await openConsole(consoleUrl, { protocols: ['binary', `nova.token.${server.token}`], headers: { host: 'evil.example' } })).status).toBe(421);
    expect((await openConsole(`${server.url.replace('http:', 'ws:')}/console/nosuchvm`, { protocols: ['binary', `nova.token.${server.token}`] })).status).toBe(404);
  });

  it('another local user can reach neither the VNC socket nor the relay', async () => {
    const stranger = users.add(`nvc${process.pid % 100000}`);
    const probe = `
      const net = require('net'), http = require('http');
      const out = {};
      const s = net.connect(process.argv[1]);
      s.once('connect', () => { out.socket = 'connected'; s.destroy(); next(); });
      s.once('error', (e) => { out.socket = e.code; next(); });
      function next() {
        const req = http.request(process.argv[2].replace('ws:', 'http:'), { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'binary' } });
        req.on('upgrade', () => { out.relay = 101; done(); });
        req.on('response', (res) => { out.relay = res.statusCode; done(); });
        req.on('error', (e) => { out.relay = e.code; done(); });
        req.end();
      }
      function done() { process.stdout.write(JSON.stringify(out)); process.exit(0); }`;
    const [cmd, ...args] = [...asUser(stranger), process.execPath, '-e', probe, vncSocket, consoleUrl];
    const { stdout } = await run(cmd!, args, { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ socket: 'EACCES', relay: 401 });
  });
});

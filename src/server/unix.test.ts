// `nova serve --socket`: the API on a 0600 unix socket in a 0700 folder, no TCP port, the token
// still required on it, and handed out only on the equally private `<socket>.token`.
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';
import { persistentToken, tokenFilePath } from './unix.js';

let home: TempHome;
let server: RunningServer;
let socket: string;

const readToken = (path: string) =>
  new Promise<string>((resolve, reject) => {
    let t = '';
    connect(path)
      .on('data', (d) => (t += d.toString()))
      .on('end', () => resolve(t.trim()))
      .on('error', reject);
  });

const open = (token?: string) =>
  new Promise<number | 'open'>((resolve) => {
    const ws = new WebSocket(`ws+unix://${socket}:/rpc`, ['nova.rpc'], { headers: { host: 'localhost', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });

beforeAll(async () => {
  home = await tempHome('nho-srv-');
  const engine = home.engine();
  socket = join(home.dir, 'run', 'serve.sock');
  server = await startServer({ engine, socket, tcp: false, token: await persistentToken(engine.paths) });
});
afterAll(async () => {
  await server.close();
  await home.cleanup();
});

describe('nova serve --socket', () => {
  it('opens no TCP port and makes the socket, its token socket and the token file private', async () => {
    expect(server.port).toBe(0);
    expect(server.url).toBe(`unix:${socket}`);
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    expect((await stat(`${socket}.token`)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home.dir, 'run'))).mode & 0o077).toBe(0);
    expect((await stat(tokenFilePath(home.engine().paths))).mode & 0o777).toBe(0o600);
  });

  it('still needs the token on the socket; <socket>.token hands out the persisted one', async () => {
    expect(await open()).toBe(401);
    expect(await open('wrong')).toBe(401);
    const token = await readToken(`${socket}.token`);
    expect(token).toBe(server.token);
    expect(await persistentToken(home.engine().paths)).toBe(token); // same token after a restart
    expect(await open(token)).toBe('open');
  });

  it('refuses a folder open to others and a second server on a live socket', async () => {
    const engine = home.engine();
    const open = join(home.dir, 'open');
    await mkdir(open, { mode: 0o755 });
    await chmod(open, 0o755);
    await expect(startServer({ engine, socket: join(open, 's.sock'), tcp: false })).rejects.toThrow(/chmod 700/);
    await expect(startServer({ engine, socket, tcp: false })).rejects.toThrow(/already listens/);
    const notSocket = join(home.dir, 'run', 'file.sock');
    await writeFile(notSocket, '');
    await expect(startServer({ engine, socket: notSocket, tcp: false })).rejects.toThrow(/not a socket/);
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callLocal, parseFast, runFast } from '../cli/fast.js';
import type { Engine } from '../core/engine.js';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { TestUsers } from '../test/users.js';
import { localSocketPaths, startLocalSocket } from './local-socket.js';
import type { LocalSocket } from './local-socket.js';

const root = join(import.meta.dirname, '..', '..');

describe('the engine\'s local socket and the CLI fast path', () => {
  let home: TempHome;
  let engine: Engine;
  let sock: LocalSocket;
  const seen: { method?: string; transport: string }[] = [];

  beforeAll(async () => {
    home = await tempHome('nova-sock-');
    engine = home.engine();
    engine.dispatcher.observe((method, _ms, _code, ctx) => void seen.push({ method, transport: ctx.transport }));
    sock = (await startLocalSocket(engine.dispatcher, engine.paths))!;
  });
  afterAll(async () => {
    await sock?.close();
    await home.cleanup();
  });

  it('is 0600 with a 0600 token beside it, and answers resource.list with the token only', async () => {
    const p = localSocketPaths(engine.paths);
    expect(statSync(p.socket).mode & 0o777).toBe(0o600);
    expect(statSync(p.token).mode & 0o777).toBe(0o600);
    expect(await callLocal('resource.list', {}, home.env)).toEqual({ items: [] });
    expect(seen.at(-1)).toEqual({ method: 'resource.list', transport: 'http' });
    const token = readFileSync(p.token, 'utf8');
    writeFileSync(p.token, 'not-the-token\n', { mode: 0o600 });
    expect(await callLocal('resource.list', {}, home.env)).toBeUndefined(); // 401: the CLI falls back
    writeFileSync(p.token, token, { mode: 0o600 });
  });

  it('a second engine leaves a live socket to its owner; a stale one is replaced; close removes both files', async () => {
    expect(await startLocalSocket(engine.dispatcher, engine.paths)).toBeUndefined();
    await sock.close();
    const p = localSocketPaths(engine.paths);
    expect(existsSync(p.socket) || existsSync(p.token)).toBe(false);
    // A socket file nobody listens on (its server was killed).
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(p.socket, () => r()));
    dead.close();
    await new Promise((r) => setTimeout(r, 0));
    if (!existsSync(p.socket)) writeFileSync(p.socket, '');
    sock = (await startLocalSocket(engine.dispatcher, engine.paths))!;
    expect(sock).toBeDefined();
    expect(await callLocal('resource.list', {}, home.env)).toEqual({ items: [] });
  });

  it('the fast path takes `ls` with its options only, and leaves other hosts and what it cannot list to the full CLI', async () => {
    expect(parseFast(['ls'])).toMatchObject({ method: 'resource.list', params: {}, json: false });
    expect(parseFast(['--json', 'ls', '--kind', 'vm', '--project=p'])).toMatchObject({ params: { kind: 'vm', project: 'p' }, json: true });
    for (const argv of [['vm', 'ls'], ['ls', '--all'], ['ls', '--kind'], ['ls', 'x'], ['ls', '--kind', 'vm', '--kind', 'capsule'], ['-f', 'x', 'ls']]) expect(parseFast(argv), argv.join(' ')).toBeUndefined();
    // Without a server it lists in-process (src/cli/lean-list.test.ts), but never for another host
    // or a kind the engine must refuse in its own words.
    const other = await tempHome('nova-sock-none-');
    expect(await runFast(['ls', '--kind', 'vms'], other.env)).toBeUndefined();
    expect(await runFast(['ls'], { ...home.env, NOVA_HOST: 'elsewhere' })).toBeUndefined();
    await other.cleanup();
  });

  it('a new `nova ls` process asks the serving engine (same output as in-process), and in-process without one', async () => {
    // Asynchronous: the engine answering is this test's own process.
    const run = (env: NodeJS.ProcessEnv, ...argv: string[]) =>
      new Promise<string>((resolve, reject) => execFile(process.execPath, [join(root, 'bin', 'nova.mjs'), ...argv], { env, encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error(`${e.message}: ${err}`)) : resolve(out))));
    const before = seen.length;
    const remote = await run(home.env, 'ls');
    expect(seen.slice(before)).toEqual([{ method: 'resource.list', transport: 'http' }]);
    const local = await run({ ...home.env, NOVA_NO_SOCKET: '1' }, 'ls');
    expect(local).toBe(remote);
    expect(seen.length).toBe(before + 1); // the second process listed in-process
    expect(JSON.parse(await run(home.env, 'ls', '--json'))).toEqual({ items: [] });
  }, 60_000);

  const users = new TestUsers();
  afterAll(() => users.cleanup());
  it.skipIf(process.getuid?.() !== 0)('another user cannot connect, even with the token in hand', async () => {
    const u = users.add(`npfsock${process.pid % 10000}`);
    const p = localSocketPaths(engine.paths);
    chmodSync(home.dir, 0o755);
    chmodSync(engine.paths.runtime, 0o755); // even with the folder opened up, the socket itself is 0600
    const token = execFileSync('cat', [p.token], { encoding: 'utf8' }).trim();
    const probe = `require('http').request({socketPath:${JSON.stringify(p.socket)},path:'/rpc',method:'POST',headers:{authorization:'Bearer ${token}'}},r=>{console.log('status',r.statusCode);process.exit(0)}).on('error',e=>console.log(e.code)).end('{}')`;
    // Asynchronous: were the socket open to it, this test's own process would have to answer.
    const out = await new Promise<string>((resolve) =>
      execFile('setpriv', [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--clear-groups', '--', process.execPath, '-e', probe], { encoding: 'utf8', timeout: 30_000 }, (_e, o) => resolve(o)),
    );
    expect(out.trim()).toBe('EACCES');
  });
});

// The native `nova` launcher (native/launcher.c, out/native/nova): the hot lifecycle verbs go as
// one JSON-RPC call to a running engine's local socket; everything else execs Node on the full CLI.
// - Against a scripted socket (any user): the exact request, printError's text and exit code for
//   error replies, and the fallback for every case it must not handle itself.
// - For real (root: a user made here, `nova serve` as that user, a rootless crun capsule): the same
//   output as the Node CLI on both paths.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../core/sys/paths.js';
import { NovaError } from '../shared/errors.js';
import { RESOURCE_NAME } from '../shared/names.js';
import type { NovaErrorData } from '../shared/errors.js';
import { busyboxRootfs, unmountUnder } from '../test/capsule-fixtures.js';
import { describeHost } from '../test/host.js';
import { createTestUser } from '../test/users.js';
import type { HomeUser } from '../test/users.js';
import { waitFor } from '../test/wait.js';
import { STOPPED_BY } from './commands/vm-format.js';
import { printError } from './output.js';

const REPO = join(import.meta.dirname, '..', '..');
const LAUNCHER = join(REPO, 'out', 'native', 'nova');
const SCRIPT = realpathSync(join(REPO, 'bin', 'nova.mjs'));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to its end without blocking this process (the scripted server answers from here). */
function run(argv: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the Node CLI prints for this error (src/cli/output.ts printError, main.ts's exit code). */
function nodeError(data: { code: string; message: string; details?: unknown }): Ran {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    printError(NovaError.from(data as NovaErrorData), false);
  } finally {
    process.stderr.write = write;
  }
  return { code: data.code === 'INVALID_INPUT' && data.details === undefined ? 2 : 1, stdout: '', stderr };
}

describe('nova launcher against a scripted engine socket', () => {
  const dir = mkdtempSync('/tmp/nl-launch-');
  const home = join(dir, 'home');
  const runtime = join(home, 'run');
  const fakeNode = join(dir, 'fake-node');
  const env = { PATH: process.env.PATH, NOVA_HOME: home, NOVA_NODE: fakeNode };
  const seen: { auth?: string; body: string }[] = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end();
  let server: Server;
  const fellBack = (argv: string[]): Ran => ({ code: 7, stdout: [SCRIPT, ...argv].map((a) => `node:${a}\n`).join(''), stderr: '' });
  const json = (body: unknown) => (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  beforeAll(async () => {
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do printf "node:%s\\n" "$a"; done\nexit 7\n');
    chmodSync(fakeNode, 0o755);
    writeFileSync(join(runtime, 'api.token'), 'tok-123\n', { mode: 0o600 });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(join(runtime, 'api.sock'), () => r()));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one call with the token, prints the short line, never runs Node', async () => {
    answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'p', state: 'running' } });
    seen.length = 0;
    expect(await run([LAUNCHER, 'capsule', 'start', 'p'], env)).toEqual({ code: 0, stdout: 'started capsule p\n', stderr: '' });
    expect(await run([LAUNCHER, 'stop', 'container', 'p'], env)).toEqual({ code: 0, stdout: 'stopped capsule p\n', stderr: '' });
    expect(await run([LAUNCHER, 'container', 'restart', '-t', '3', 'p'], env)).toEqual({ code: 0, stdout: 'restarted capsule p\n', stderr: '' });
    expect(await run([LAUNCHER, 'restart', 'capsule', 'p', '--timeout=0'], env)).toMatchObject({ code: 0 });
    answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'v', state: 'running', reason: 'boot\u001b[2J' } });
    expect(await run([LAUNCHER, 'start', 'vm', 'v'], env)).toEqual({ code: 0, stdout: 'v: running — boot\\x1b[2J\n', stderr: '' });
    const rpc = (method: string, params: unknown) => ({ auth: 'Bearer tok-123', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    expect(seen).toEqual([
      rpc('capsule.start', { name: 'p' }),
      rpc('capsule.stop', { name: 'p', timeout: 10 }),
      rpc('capsule.restart', { name: 'p', timeout: 3 }),
      rpc('capsule.restart', { name: 'p', timeout: 0 }),
      rpc('vm.start', { name: 'v' }),
    ]);
  });

  it('an error reply: printError\'s text and exit code, and the command is not run again', async () => {
    const cases = [
      { code: 'NOT_FOUND', message: 'no capsule named "p" (see `nova capsule ls`)' },
      { code: 'INVALID_INPUT', message: 'bad' },
      { code: 'INVALID_INPUT', message: 'bad \u001b]52;c;x\u0007 \u202e', details: { field: 'name' } },
      { code: 'CONFLICT', message: 'NovaFile has errors', details: { fix: 'edit \u0007it', errors: [{ file: 'NovaFile', line: 3, column: 7, message: 'unknown key "x\u001b"' }] } },
    ];
    for (const data of cases) {
      seen.length = 0;
      answer = json({ jsonrpc: '2.0', id: 1, error: { code: -32001, message: data.message, data } });
      expect(await run([LAUNCHER, 'capsule', 'start', 'p'], env)).toEqual(nodeError(data));
      expect(seen).toHaveLength(1);
    }
  });

  it('falls back to Node with the same argv for everything it does not handle', async () => {
    answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'p' } });
    for (const argv of [['ls'], ['--json', 'capsule', 'start', 'p'], ['capsule', 'start', 'p', '--json'], ['capsule', 'start', 'p', '--host', 'h'], ['capsule', 'start', 'P!'],
      ['capsule', 'start', 'p', 'q'], ['capsule', 'start', '-t', '3', 'p'], ['capsule', 'stop', 'p', '-t', 'x'], ['capsule', 'pause', 'p'], ['vm', 'pause', 'v'], ['vm', 'start', 'v', '--force'],
      ['vm', 'stop', 'v', '-t', '3'], ['vm', 'stop', 'v', '--timeout', '1.5'], ['vm', 'stop', '--json', 'v'], ['capsule', 'stop', 'p', '--force'], ['capsule', 'start'], []]) {
      expect(await run([LAUNCHER, ...argv], env), argv.join(' ')).toEqual(fellBack(argv));
    }
    const argv = ['capsule', 'start', 'p'];
    expect(await run([LAUNCHER, ...argv], { ...env, NOVA_NO_SOCKET: '1' })).toEqual(fellBack(argv));
    expect(await run([LAUNCHER, ...argv], { ...env, NOVA_HOST: 'h' })).toEqual(fellBack(argv));
    // Replies it cannot read: refused token, not JSON, cut short, not a result, too big.
    const bad = [
      (res: import('node:http').ServerResponse) => res.writeHead(401).end('{"error":"missing or wrong token"}'),
      (res: import('node:http').ServerResponse) => res.writeHead(200).end('{"result": {'),
      (res: import('node:http').ServerResponse) => res.socket?.destroy(),
      json({ jsonrpc: '2.0', id: 1, result: 'p' }),
      json({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'x', data: { code: 'WHATEVER', message: 'x' } } }),
      json({ jsonrpc: '2.0', id: 1, result: { name: 'p', pad: 'x'.repeat(2 * 1024 * 1024) } }),
    ];
    for (const b of bad) {
      answer = b;
      expect(await run([LAUNCHER, ...argv], env)).toEqual(fellBack(argv));
    }
    // No engine: a token without a socket, no token at all.
    expect(await run([LAUNCHER, ...argv], { ...env, NOVA_HOME: join(dir, 'elsewhere') })).toEqual(fellBack(argv));
    mkdirSync(join(dir, 'stale', 'run'), { recursive: true });
    writeFileSync(join(dir, 'stale', 'run', 'api.token'), 'x\n');
    expect(await run([LAUNCHER, ...argv], { ...env, NOVA_HOME: join(dir, 'stale') })).toEqual(fellBack(argv));
  });

  it('`vm stop`: force and timeoutMs as the Node CLI sends them, and its "how it went down" line for every stoppedBy', async () => {
    seen.length = 0;
    const rpc = (params: unknown) => ({ auth: 'Bearer tok-123', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'vm.stop', params }) });
    for (const [key, text] of [...Object.entries(STOPPED_BY), ['something-new', 'something-new']]) {
      answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'v', state: 'stopped', stoppedBy: key, reason: 'not printed by stop' } });
      expect(await run([LAUNCHER, 'vm', 'stop', 'v'], env)).toEqual({ code: 0, stdout: `v: stopped — ${text}\n`, stderr: '' });
    }
    answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'v', state: 'stopped' } });
    expect(await run([LAUNCHER, 'stop', 'vm', '--force', 'v'], env)).toEqual({ code: 0, stdout: 'v: stopped\n', stderr: '' });
    expect(await run([LAUNCHER, 'vm', 'stop', 'v', '--timeout', '5'], env)).toMatchObject({ code: 0 });
    expect(await run([LAUNCHER, 'stop', 'vm', '--timeout=0', 'v', '--force'], env)).toMatchObject({ code: 0 });
    expect(seen.slice(-3)).toEqual([rpc({ name: 'v', force: true }), rpc({ name: 'v', force: false, timeoutMs: 5000 }), rpc({ name: 'v', force: true, timeoutMs: 0 })]);
    expect(seen[0]).toEqual(rpc({ name: 'v', force: false }));
  });

  it('sends exactly the names the contract accepts (RESOURCE_NAME), the full CLI gives the error for the rest', async () => {
    answer = json({ jsonrpc: '2.0', id: 1, result: { name: 'x' } });
    for (const name of ['a', '0', 'a-b_c', 'a'.repeat(63), 'a'.repeat(64), 'A', '-a', '_a', 'a.b', 'a b', 'é', 'a/b', '', 'a\n']) {
      const r = await run([LAUNCHER, 'capsule', 'start', name], env);
      expect(r.code === 0, JSON.stringify(name)).toBe(RESOURCE_NAME.test(name));
      if (r.code !== 0) expect(r).toEqual(fellBack(['capsule', 'start', name]));
    }
  });

  it('resolves the runtime folder exactly like resolvePaths', () => {
    const envs: NodeJS.ProcessEnv[] = [
      { NOVA_HOME: '/srv/nova' }, { NOVA_HOME: '/srv/nova/' }, { NOVA_HOME: '/srv//a/../nova/.' }, { NOVA_HOME: 'rel/x/../../..' }, { NOVA_HOME: './h' }, { NOVA_HOME: '/' },
      { NOVA_HOME: '', XDG_RUNTIME_DIR: '/run/user/1000' }, { XDG_RUNTIME_DIR: '/run/user/1000/' }, { XDG_RUNTIME_DIR: 'a/../../b' },
      { XDG_CONFIG_HOME: '/c' }, { XDG_DATA_HOME: '/d' }, { XDG_RUNTIME_DIR: '' }, {}, { NOVA_HOME: '/h', XDG_RUNTIME_DIR: '/x' },
    ];
    const uids = process.getuid!() === 0 ? [0, 65534] : [process.getuid!()];
    for (const uid of uids) {
      for (const e of envs) {
        const prefix = uid === process.getuid!() ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
        const argv = [...prefix, LAUNCHER, '--launcher-runtime-dir'];
        const out = execFileSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH, ...e }, encoding: 'utf8' });
        expect(out, `uid ${uid} ${JSON.stringify(e)}`).toBe(`${resolvePaths(e, uid).runtime}\n`);
      }
    }
  });
});

describeHost('nova launcher with a real `nova serve` of an ordinary user', { root: true, tools: ['crun', 'setpriv', 'useradd', 'newuidmap'] }, () => {
  let user: HomeUser;
  let home: string;
  let serve: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const launcher = (args: string[], extra: NodeJS.ProcessEnv = {}) => run([...user.as, LAUNCHER, ...args], { ...env, ...extra }, home);
  const nodeCli = (args: string[]) => run([...user.as, process.execPath, join(REPO, 'bin', 'nova.mjs'), ...args], env, home);
  // NOVA_NODE=/bin/false: had the launcher fallen back to Node, it would fail with no output.
  const viaSocket = (args: string[]) => launcher(args, { NOVA_NODE: '/bin/false' });

  beforeAll(async () => {
    user = createTestUser('nlx');
    home = mkdtempSync('/tmp/nl-serve-');
    const rootfs = busyboxRootfs(join(home, 'work'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    env = { PATH: process.env.PATH, HOME: user.home, USER: user.name, LOGNAME: user.name, NOVA_HOME: home };
    const made = await launcher(['capsule', 'create', 'p', '-i', rootfs, '--runtime', 'crun', '--network', 'none', '--', 'sleep', '1000']);
    expect(made.code, made.stderr).toBe(0);
    writeFileSync(join(home, 'vmlinuz'), 'never booted here');
    execFileSync('chown', [`${user.uid}:${user.gid}`, join(home, 'vmlinuz')]);
    const vm = await launcher(['vm', 'create', 'v', '--kernel', join(home, 'vmlinuz'), '--memory', '64Mi', '--network', 'none']);
    expect(vm.code, vm.stderr).toBe(0);
  });
  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const gone = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await gone;
    }
    if (home) await nodeCli(['capsule', 'rm', '--force', 'p']);
    user?.remove();
    if (home) {
      unmountUnder(home);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('no `nova serve`: falls back to the Node CLI, which does the work itself', async () => {
    expect(await launcher(['capsule', 'start', 'p'])).toEqual({ code: 0, stdout: 'started capsule p\n', stderr: '' });
    expect(await launcher(['stop', 'container', 'p', '-t', '0'])).toEqual({ code: 0, stdout: 'stopped capsule p\n', stderr: '' });
  });

  it('with `nova serve` running: one call over its socket, printing what the Node CLI prints', async () => {
    serve = spawn(user.as[0]!, [...user.as.slice(1), LAUNCHER, 'serve', '--port', '0'], { env, cwd: home, stdio: 'ignore' });
    await waitFor('the engine\'s local socket', () => existsSync(join(home, 'run', 'api.token')) && existsSync(join(home, 'run', 'api.sock')));
    const fastStart = await viaSocket(['capsule', 'start', 'p']);
    const inspect = await nodeCli(['--json', 'capsule', 'inspect', 'p']);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ name: 'p', state: 'running', rootless: true });
    const nodeStop = await nodeCli(['capsule', 'stop', 'p', '-t', '0']);
    const nodeStart = await nodeCli(['start', 'container', 'p']);
    const fastStop = await viaSocket(['container', 'stop', '--timeout', '0', 'p']);
    expect(fastStart).toEqual({ code: 0, stdout: 'started capsule p\n', stderr: '' });
    expect(fastStart).toEqual(nodeStart);
    expect(fastStop).toEqual({ code: 0, stdout: 'stopped capsule p\n', stderr: '' });
    expect(fastStop).toEqual(nodeStop);
    // A missing capsule: the engine's error, as the Node CLI prints it, same exit code.
    const fastMissing = await viaSocket(['capsule', 'start', 'nope']);
    expect(fastMissing).toEqual(await nodeCli(['capsule', 'start', 'nope']));
    expect(fastMissing).toMatchObject({ code: 1, stderr: expect.stringMatching(/^nova: NOT_FOUND: .*nope/) });
    // --json is the Node CLI's (the launcher never prints it): /bin/false proves it went there.
    expect((await viaSocket(['--json', 'capsule', 'start', 'p'])).code).toBe(1);
    const asJson = await launcher(['--json', 'capsule', 'start', 'p']);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ name: 'p', state: 'running' });
    expect(await viaSocket(['capsule', 'stop', 'p', '-t', '0'])).toEqual({ code: 0, stdout: 'stopped capsule p\n', stderr: '' });
    // `vm stop` of a defined VM that is not running, and of a missing one: the Node CLI's output.
    const fastVmStop = await viaSocket(['vm', 'stop', 'v', '--timeout', '5']);
    expect(fastVmStop).toEqual({ code: 0, stdout: 'v: stopped — was not running\n', stderr: '' });
    expect(fastVmStop).toEqual(await nodeCli(['stop', 'vm', 'v', '--timeout', '5']));
    expect(await viaSocket(['vm', 'stop', 'nope', '--force'])).toEqual(await nodeCli(['vm', 'stop', 'nope', '--force']));
  });
});

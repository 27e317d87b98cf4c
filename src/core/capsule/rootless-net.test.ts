// Networking of an ordinary user's capsules, for real: a user created here runs a Nova engine
// under setpriv. Without a switch, pasta connects the capsule (its supervisor holds the netns):
// a published port answers on the host's loopback, outbound reaches a target this test made.
// pasta lives and dies with the capsule, and it runs as the user, never root.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { busyboxRootfs, freePort } from '../../test/capsule-fixtures.js';
import { describeHost } from '../../test/host.js';
import { freeOctets, NetnsLab, sh, suffix } from '../../test/netns.js';
import { processes } from '../../test/privd.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { waitFor } from '../../test/wait.js';

const curl = (url: string) => sh(['curl', '-s', '--max-time', '5', url], { allowFailure: true });
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describeHost(
  'networking of an ordinary user\'s capsules: pasta by default',
  { root: true, tools: ['pasta', 'crun', 'runc', 'newuidmap', 'newgidmap', 'nsenter', 'curl', 'setpriv', 'useradd'] },
  () => {
    const sfx = suffix();
    const lab = new NetnsLab();
    const ns = `nrn-${sfx}`;
    const [octet] = freeOctets(1);
    const target = `10.213.${octet}.2`;
    const serverPort = 17000 + Math.floor(Math.random() * 2000);
    let user: HomeUser;
    let home: string;
    let work: string;
    let engine: UserEngine;
    let webPort = 0;
    const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
    const exec = (name: string, script: string) => call<{ exitCode: number; stdout: string; stderr: string }>('capsule.exec', { name, command: ['sh', '-c', script] });
    const startEngine = async () => (engine = await startUserEngine(user, { NOVA_HOME: home }));
    /** pasta processes of this test's capsules (their --log-file is in the user's capsule folder). */
    const pastas = () => processes(join(home, 'data', 'capsules')).filter((p) => /^\/usr\/bin\/pasta|^pasta|passt/.test(p.cmd));

    beforeAll(async () => {
      user = createTestUser('nrn');
      home = mkdtempSync('/tmp/nova-rn-');
      work = join(home, 'work');
      mkdirSync(work, { recursive: true });
      busyboxRootfs(work);
      execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
      // The outbound target: a server in a namespace this test made, behind a veth from the host.
      lab.add(ns);
      sh(['ip', 'link', 'add', `nrh${sfx}`, 'type', 'veth', 'peer', 'name', `nrp${sfx}`, 'netns', ns]);
      sh(['ip', 'addr', 'add', `10.213.${octet}.1/30`, 'dev', `nrh${sfx}`]);
      sh(['ip', '-n', ns, 'addr', 'add', `${target}/30`, 'dev', `nrp${sfx}`]);
      sh(['ip', 'link', 'set', `nrh${sfx}`, 'up']);
      sh(['ip', '-n', ns, 'link', 'set', `nrp${sfx}`, 'up']);
      const js = `require('net').createServer((s) => s.end('hello from ${target}\\n')).listen(${serverPort}, '${target}')`;
      lab.spawn(ns, [process.execPath, '-e', js]);
      await waitFor('the target server', () => !sh(['ip', 'netns', 'exec', ns, 'ss', '-Hltn', `sport = :${serverPort}`]).trim() ? undefined : true, 10_000);
      await startEngine();
    }, 60_000);

    afterAll(async () => {
      if (engine) {
        const { items } = await call<{ items: CapsuleInfo[] }>('capsule.list', {}).catch(() => ({ items: [] as CapsuleInfo[] }));
        for (const c of items) await engine.invoke('capsule.rm', { name: c.name, force: true }).catch(() => undefined);
        await engine.close();
      }
      sh(['ip', 'link', 'del', `nrh${sfx}`], { allowFailure: true });
      lab.cleanup();
      user?.remove();
      if (home) execFileSync('rm', ['-rf', home]);
    });

    it('publishes a declared port on the host loopback only, reaches out, and names pasta\'s DNS', async () => {
      const port = (webPort = await freePort());
      const c = await call('capsule.create', {
        name: 'web',
        baseDir: work,
        start: true,
        spec: {
          capsule: './rootfs',
          runtime: 'crun',
          ports: [`${port}:80`],
          // Port 80 in the capsule: its root is a nested user namespace's, allowed to bind it.
          command: 'mkdir -p /www && echo hello-nova > /www/index.html && exec httpd -f -p 80 -h /www',
        },
      });
      expect(c).toMatchObject({ state: 'running', rootless: true });
      expect(await waitFor('the published port', () => curl(`http://127.0.0.1:${port}/`).trim() === 'hello-nova' || undefined, 15_000)).toBe(true);
      // Declared without an address: not on the host's other addresses.
      const hostAddr = sh(['ip', '-4', '-j', 'addr', 'show', 'scope', 'global']);
      const other = (JSON.parse(hostAddr) as { addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((a) => a.local)).find((a) => a !== target);
      if (other) expect(curl(`http://${other}:${port}/`)).toMatch(/^__FAILED__/);

      // pasta 2023-03 (bookworm) mishandles a server that answers and closes at once: the
      // client may never see the FIN and gets the answer repeated. The first line is what counts.
      const out = await exec('web', `echo hi | timeout 5 nc ${target} ${serverPort}`);
      expect(out.stdout.split('\n')[0]).toBe(`hello from ${target}`);
      expect((await exec('web', 'cat /etc/resolv.conf')).stdout).toBe('nameserver 169.254.1.1');

      // pasta and the capsule run as the user or its subordinate ids, never root.
      const mine = pastas();
      expect(mine).toHaveLength(1);
      expect(mine[0]!.uid).toBe(user.uid);
      const ns = readlinkSync(`/proc/${c.pid}/ns/pid`);
      const inCapsule = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => { try { return readlinkSync(`/proc/${p}/ns/pid`) === ns; } catch { return false; } })());
      expect(inCapsule.length).toBeGreaterThan(0);
      for (const p of inCapsule) {
        const u = uidOf(Number(p));
        expect(u === user.uid || (u >= user.subuid.start && u < user.subuid.start + user.subuid.count)).toBe(true);
      }
    }, 60_000);

    it('on runc too, publishing on every address when declared 0.0.0.0', async () => {
      const port = await freePort();
      await call('capsule.create', {
        name: 'any',
        baseDir: work,
        start: true,
        spec: { capsule: './rootfs', runtime: 'runc', ports: [`0.0.0.0:${port}:8080`], command: 'mkdir -p /www && echo everywhere > /www/index.html && exec httpd -f -p 8080 -h /www' },
      });
      expect(await waitFor('the published port', () => curl(`http://127.0.0.1:${port}/`).trim() === 'everywhere' || undefined, 15_000)).toBe(true);
      expect(sh(['ss', '-Hltn', `sport = :${port}`])).toMatch(/\*:\d+|0\.0\.0\.0:\d+/);
      await call('capsule.rm', { name: 'any', force: true });
    }, 60_000);

    it('a pasta that cannot come up fails the start: the capsule\'s process never ran, no container or pasta is left', async () => {
      // The supervisor has the runtime create the container while pasta sets up, and starts it
      // only once pasta is up: here pasta cannot bind the published port, held by this test.
      const port = await freePort();
      const holder = createServer();
      await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
      try {
        await call('capsule.create', { name: 'busy', baseDir: work, spec: { capsule: './rootfs', runtime: 'crun', ports: [`${port}:80`], command: 'touch /ran && exec sleep 1000' } });
        const err = await call('capsule.start', { name: 'busy' }).then(() => undefined, (e: unknown) => e as Error);
        expect(err?.message).toMatch(/pasta exited/);
        // The start returns once the failed supervisor cleaned up and exited: never "running (starting)".
        expect(existsSync(join(home, 'data', 'capsules', 'busy', 'supervisor.pid'))).toBe(false);
        const after = await call('capsule.inspect', { name: 'busy' });
        expect(after.state).not.toBe('running');
        expect(after.exit?.code).toBe(125);
        expect(existsSync(join(home, 'data', 'capsules', 'busy', 'upper', 'ran'))).toBe(false);
        expect(pastas().filter((p) => p.cmd.includes('/busy/'))).toEqual([]);
        expect(existsSync(join(home, 'run', 'capsules', 'crun', after.id))).toBe(false);
      } finally {
        holder.close();
        await call('capsule.rm', { name: 'busy', force: true }).catch(() => undefined);
      }
    }, 60_000);

    it('pasta ends with the capsule: stop, kill -9 of the supervisor, rm; kill -9 of the engine changes nothing', async () => {
      await call('capsule.stop', { name: 'web', timeout: 0 });
      expect(pastas()).toEqual([]);
      const again = await call('capsule.start', { name: 'web' });
      expect(again.state).toBe('running');
      const [p1] = pastas();
      expect(p1).toBeDefined();

      // The engine dies hard: the capsule and its network stay; a new engine finds them.
      engine.proc.kill('SIGKILL');
      await new Promise((r) => engine.proc.once('exit', r));
      await startEngine();
      const seen = await call('capsule.inspect', { name: 'web' });
      expect(seen.state).toBe('running');
      expect(pidAlive(p1!.pid)).toBe(true);
      expect(await waitFor('port after engine restart', () => curl(`http://127.0.0.1:${webPort}/`).trim() === 'hello-nova' || undefined, 10_000)).toBe(true);

      // The supervisor dies hard: pasta goes with it (parent-death signal), nothing is left.
      const sup = Number(readFileSync(join(home, 'data', 'capsules', 'web', 'supervisor.pid'), 'utf8'));
      process.kill(sup, 'SIGKILL');
      await waitFor('pasta gone after its supervisor', () => !pidAlive(p1!.pid) || undefined, 10_000);
      await call('capsule.rm', { name: 'web', force: true });
      expect(pastas()).toEqual([]);
      // The user's namespace holder outlives capsules by design (the next test).
      const left = () => user.processes().filter((p) => p.pid !== engine.proc.pid && !/esbuild|nova-lock-helper|user-engine-server|nova-userns-exec .*--hold /.test(p.cmd));
      await waitFor('no process of the capsule left', () => !left().length || undefined, 10_000).catch(() => expect(left()).toEqual([]));
    }, 90_000);

    /** argv after user.as[0] and options that run a TypeScript snippet of this repo as the user. */
    const asUserTs = (script: string) => [...user.as.slice(1), process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const asUserTsOptions = () => ({ cwd: join(import.meta.dirname, '..', '..', '..'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, NOVA_HOME: home } });

    it('capsules and the steps on their files join the user\'s namespace holder (mapped once, no newuidmap per start); one killed -9 is replaced; two starts at once make one', async () => {
      const pidFile = join(home, 'run', 'userns.pid');
      const holders = () => user.processes().filter((p) => /nova-userns-exec .*--hold /.test(p.cmd));
      const holderPid = () => Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
      const nsOf = (pid: number) => statSync(`/proc/${pid}/ns/user`).ino;
      const supOf = (name: string) => Number(readFileSync(join(home, 'data', 'capsules', name, 'supervisor.pid'), 'utf8'));
      const spec = { capsule: './rootfs', runtime: 'crun', network: 'none', command: 'exec sleep 1000' };
      await call('capsule.create', { name: 'h1', baseDir: work, spec });
      await call('capsule.create', { name: 'h2', baseDir: work, spec });
      try {
        await call('capsule.start', { name: 'h1' });
        const h1 = holderPid();
        expect(holders().map((p) => p.pid)).toEqual([h1]);
        expect(uidOf(h1)).toBe(user.uid);
        expect(nsOf(supOf('h1'))).toBe(nsOf(h1)); // joined: not a namespace of its own

        // Killed -9: the running capsule keeps its namespace; the next start makes a new holder.
        process.kill(h1, 'SIGKILL');
        await waitFor('the holder gone', () => !pidAlive(h1) || undefined, 10_000);
        expect((await exec('h1', 'echo ok')).stdout.trim()).toBe('ok');
        await call('capsule.start', { name: 'h2' });
        const h2 = holderPid();
        expect(h2).not.toBe(h1);
        expect(holders().map((p) => p.pid)).toEqual([h2]);
        expect(nsOf(supOf('h2'))).toBe(nsOf(h2));

        // Two at once, over a stale pid file: two processes of the user, released together, each
        // asking for the holder, get the same one (the check and the start are under a lock).
        for (const name of ['h1', 'h2']) await call('capsule.stop', { name, timeout: 0 });
        process.kill(h2, 'SIGKILL');
        await waitFor('the holder gone', () => !pidAlive(h2) || undefined, 10_000);
        const barrier = join(home, 'go');
        const script = `
          const { existsSync } = await import('node:fs');
          const { usernsHolder } = await import('./src/core/capsule/userns-holder.ts');
          const { rootlessIds } = await import('./src/core/capsule/rootless.ts');
          const { resolvePaths } = await import('./src/core/sys/paths.ts');
          const ids = await rootlessIds();
          process.stdout.write('waiting\\n');
          while (!existsSync(${JSON.stringify(barrier)})) await new Promise((r) => setTimeout(r, 1));
          const h = await usernsHolder({ paths: resolvePaths(process.env) }, ids);
          process.stdout.write(JSON.stringify(h) + '\\n', () => process.exit(0)); // the lock helper would keep it alive`;
        const racers = [0, 1].map(() => spawn(user.as[0]!, asUserTs(script), { ...asUserTsOptions(), stdio: ['ignore', 'pipe', 'inherit'] }));
        const outs = racers.map((r) => {
          let text = '';
          r.stdout!.on('data', (d: Buffer) => (text += d.toString()));
          return { get text() { return text; }, done: new Promise((res) => r.once('exit', res)) };
        });
        await waitFor('both racers at the barrier', () => outs.every((o) => o.text.includes('waiting')) || undefined, 30_000);
        writeFileSync(barrier, '');
        await Promise.all(outs.map((o) => o.done));
        const got = outs.map((o) => JSON.parse(o.text.split('\n')[1]!) as { pid: number });
        expect(got[0]!.pid).toBeGreaterThan(0);
        expect(got[1]).toEqual(got[0]);
        expect(holders().map((p) => p.pid)).toEqual([got[0]!.pid]);
        // Two capsule starts at once join it.
        await Promise.all(['h1', 'h2'].map((name) => call('capsule.start', { name })));
        expect(holders().map((p) => p.pid)).toEqual([got[0]!.pid]);
        expect(nsOf(supOf('h1'))).toBe(nsOf(got[0]!.pid));
        expect(nsOf(supOf('h2'))).toBe(nsOf(got[0]!.pid));
        // Steps on the subordinate ids' files (unpacks, snapshot tars, rm) join it too, as its root.
        const probe = `
          const { execFileSync } = await import('node:child_process');
          const { asNamespaceRoot } = await import('./src/core/capsule/namespace-root.ts');
          const { resolvePaths } = await import('./src/core/sys/paths.ts');
          const argv = await asNamespaceRoot({ paths: resolvePaths(process.env) }, ['sh', '-c', 'stat -L -c %i /proc/self/ns/user; id -u']);
          process.stdout.write(execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' }), () => process.exit(0));`;
        const asRoot = execFileSync(user.as[0]!, asUserTs(probe), { ...asUserTsOptions(), encoding: 'utf8' });
        expect(asRoot).toBe(`${nsOf(got[0]!.pid)}\n0\n`);
        expect(holders().map((p) => p.pid)).toEqual([got[0]!.pid]);

        // Its pid file removed (the runtime folder goes at logout or with a NOVA_HOME): it exits.
        unlinkSync(pidFile);
        await waitFor('the holder gone with its pid file', () => !holders().length || undefined, 10_000);
        expect((await call('capsule.inspect', { name: 'h2' })).state).toBe('running');
      } finally {
        for (const name of ['h1', 'h2']) await call('capsule.rm', { name, force: true }).catch(() => undefined);
      }
    }, 90_000);
  },
);

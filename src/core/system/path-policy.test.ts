// The path policy: bind mounts, disk images, ISOs, rootfs folders and outputs only under allowed
// roots; relative paths resolve against the project folder and are refused over the API. Ends
// with the takeover from issue #15: an unprivileged user holding the token of root's `nova serve`
// asks for a capsule that bind-mounts a folder of root's choosing — refused, nothing started.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { CallContext } from '../rpc/dispatcher.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { suffix } from '../../test/netns.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser, TestUsers } from '../../test/users.js';
import type { HomeUser, TestUser } from '../../test/users.js';

const outcome = (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
const REMOTE: CallContext = { transport: 'ws', remote: true };

describe('allowed roots for host paths', () => {
  let home: TempHome;
  let engine: Engine;
  let project: string;
  const call = (m: string, input: unknown, ctx?: CallContext) => outcome(engine.dispatcher.invoke(m, input, ctx));

  beforeAll(async () => {
    home = await tempHome('nvpath-');
    engine = home.engine();
    project = join(home.dir, 'proj');
    mkdirSync(join(project, 'data'), { recursive: true });
    symlinkSync('/etc', join(project, 'etc-link'));
  });
  afterAll(async () => home?.cleanup());

  it('refuses host paths outside the roots, naming the field and the fix', async () => {
    const outside = /^PERMISSION: .* is outside the folders Nova may use \(.*\): move it under one of them, or allow its folder on this host: nova config allow-root \/\S* \(adds it to "allowedRoots" in .*prefs\.json\)/;
    const cases: [string, unknown, RegExp][] = [
      ['capsule.create', { name: 'c', spec: { capsule: 'busybox', volumes: ['/:/host'] }, baseDir: project }, /spec\.volumes\[0\]: bind mount source \/ is outside/],
      ['capsule.create', { name: 'c', spec: { capsule: '/', volumes: [] }, baseDir: project }, /spec\.capsule: root filesystem \/ is outside/],
      ['capsule.create', { name: 'c', spec: { capsule: 'busybox', volumes: ['./etc-link:/e'] }, baseDir: project }, /spec\.volumes\[0\]: .*etc-link \(really \/etc\) is outside/],
      ['vm.create', { name: 'v', spec: { image: '/etc/shadow' }, baseDir: project }, /spec\.image: disk image \/etc\/shadow is outside/],
      ['vm.create', { name: 'v', spec: { iso: ['./ok.iso', '/root/x.iso'] }, baseDir: project }, /spec\.iso\[1\]: ISO \/root\/x\.iso is outside/],
      ['vm.create', { name: 'v', spec: { disks: [{ path: '../../../etc/d.qcow2' }] }, baseDir: project }, /spec\.disks\[0\]: disk image .* is outside/],
      ['vm.create', { name: 'v', spec: { kernel: '/etc/shadow' }, baseDir: project }, /spec\.kernel: kernel \/etc\/shadow is outside/],
      ['vm.update', { name: 'v', spec: { kernel: './vmlinuz', initrd: '/etc/shadow' }, baseDir: project }, /spec\.initrd: initrd \/etc\/shadow is outside/],
      ['vm.migrate', { name: 'v', to: 'home:/etc' }, /to: destination Nova home \/etc is outside/],
      ['vm.disk.create', { path: '/etc/evil.qcow2', size: '1Mi' }, /path: disk image \/etc\/evil\.qcow2 is outside/],
      ['support.bundle', { output: '/etc/bundle.tar.gz' }, /output: output \/etc\/bundle\.tar\.gz is outside/],
      ['image.import', { source: '/etc', name: 'x:1' }, /source: root filesystem \/etc is outside/],
    ];
    for (const [m, input, want] of cases) {
      const got = await call(m, input);
      expect(got, `${m} ${JSON.stringify(input)}`).toMatch(outside);
      expect(got).toMatch(want);
    }
    expect(existsSync('/etc/evil.qcow2')).toBe(false);
    // A NovaFile in "/" does not make "/" a project root: the folder is too wide to trust.
    expect(await call('capsule.create', { name: 'c', spec: { capsule: 'busybox', volumes: ['./etc:/e'] }, baseDir: '/' })).toMatch(/^PERMISSION: spec\.volumes\[0\]/);
  });

  it('accepts paths under the project folder and the data dir, and configured roots', async () => {
    const passes = (got: string) => expect(got).not.toMatch(/^PERMISSION|relative/);
    passes(await call('vm.disk.create', { path: join(project, 'data', 'd.qcow2'), size: '1Mi' }));
    passes(await call('vm.disk.info', { path: 'rel.qcow2' })); // in-process: against the cwd (the project)
    passes(await call('capsule.create', { name: 'c1', spec: { capsule: './nothing-here', volumes: ['./data:/data'] }, baseDir: project }));
    // A folder the user added as a storage pool holds disk images: it is a root too.
    const pool = join(home.dir, '..', `nvpath-pool-${suffix()}`);
    mkdirSync(pool);
    try {
      expect(await call('vm.disk.info', { path: join(pool, 'x.qcow2') })).toMatch(/^PERMISSION/);
      await engine.dispatcher.invoke('storage.pool.add', { name: 'fast', path: pool });
      expect(await call('vm.disk.info', { path: join(pool, 'x.qcow2') })).not.toMatch(/^PERMISSION/);
      await engine.dispatcher.invoke('storage.pool.remove', { name: 'fast' });
    } finally {
      execFileSync('rm', ['-rf', pool]);
    }
    const extra = join(home.dir, '..', `nvpath-extra-${suffix()}`);
    mkdirSync(extra);
    try {
      expect(await call('vm.disk.info', { path: join(extra, 'x.qcow2') })).toMatch(/^PERMISSION/);
      await engine.dispatcher.invoke('prefs.set', { key: 'allowedRoots', value: [extra] });
      expect(await call('vm.disk.info', { path: join(extra, 'x.qcow2') })).not.toMatch(/^PERMISSION/);
    } finally {
      await engine.dispatcher.invoke('prefs.set', { key: 'allowedRoots', value: [] });
      execFileSync('rm', ['-rf', extra]);
    }
  });

  it('over the API: relative paths refused, the caller\'s folder is not a root, roots cannot be widened', async () => {
    expect(await call('capsule.create', { name: 'c', spec: { capsule: 'busybox', volumes: ['./data:/data'] } }, REMOTE)).toMatch(
      /^INVALID_INPUT: spec\.volumes\[0\]: "\.\/data" is relative, and an API call has no working directory: give an absolute path, or baseDir/,
    );
    expect(await call('vm.disk.create', { path: 'x.qcow2', size: '1Mi' }, REMOTE)).toMatch(/^INVALID_INPUT: path: "x\.qcow2" is relative/);
    expect(await call('vm.disk.import', { source: './in.img', path: '/x.qcow2' }, REMOTE)).toMatch(/^INVALID_INPUT: source: "\.\/in\.img" is relative/);
    expect(await call('vm.disk.resize', { path: 'x.qcow2', size: '2Mi' }, REMOTE)).toMatch(/^INVALID_INPUT: path: "x\.qcow2" is relative/);
    expect(await call('vm.disk.info', { path: 'x.qcow2' }, REMOTE)).toMatch(/^INVALID_INPUT: path: "x\.qcow2" is relative/);
    expect(await call('image.import', { source: 'rootfs', name: 'localhost/x:1' }, REMOTE)).toMatch(/^INVALID_INPUT: source: "rootfs" is relative/);
    // Naming "/tmp/..." as its project folder gives an API caller nothing.
    expect(await call('capsule.create', { name: 'c', spec: { capsule: 'busybox', volumes: ['./x:/data'] }, baseDir: '/srv/anything' }, REMOTE)).toMatch(/^PERMISSION: spec\.volumes\[0\]/);
    expect(await call('novafile.up', { text: '' }, REMOTE)).toMatch(/^INVALID_INPUT: cwd: an API call has no working directory/);
    expect(await call('prefs.set', { key: 'allowedRoots', value: ['/'] }, REMOTE)).toMatch(/^PERMISSION: allowedRoots widens/);
    expect(await call('storage.pool.add', { name: 'etc', path: '/etc' }, REMOTE)).toMatch(/^PERMISSION: path: storage pool folder \/etc is outside/);
    // Under the data dir the API may name its files.
    expect(await call('vm.disk.create', { path: join(home.dir, 'data', 'api.qcow2'), size: '1Mi' }, REMOTE)).not.toMatch(/^PERMISSION|INVALID/);
  });
});

describeHost('the takeover from issue #15, as an unprivileged user', { root: true, tools: ['useradd', 'userdel', 'setpriv', 'curl', 'crun'] }, () => {
  const sfx = suffix();
  const users = new TestUsers();
  let attacker: TestUser;
  let home: TempHome;
  let server: ChildProcess | undefined;
  let url = '';
  let victim = '';
  let client = '';

  beforeAll(async () => {
    home = await tempHome('nvpolh-');
    attacker = users.add(`nvpol${sfx}`);
    victim = join(home.dir, '..', `nvpol-victim-${sfx}`); // root's folder, outside every root
    mkdirSync(victim, { mode: 0o755 });
    busyboxRootfs(join(home.dir, 'data')); // an image rootfs root already has
    const token = `t${sfx}${'x'.repeat(30)}`;
    writeFileSync(join(home.dir, 'token'), token, { mode: 0o600 });
    // What the attacker learned (today from /proc/PID/cmdline): the token, in its own 0600 file.
    client = join(home.dir, '..', `nvpol-client-${sfx}`);
    mkdirSync(client, { mode: 0o700 });
    writeFileSync(join(client, 'auth'), `Authorization: Bearer ${token}\n`, { mode: 0o600 });
    for (const p of [client, join(client, 'auth')]) chownSync(p, attacker.uid, attacker.gid);
    server = spawn(process.execPath, ['bin/nova.mjs', 'serve', '--port', '0', '--token-file', join(home.dir, 'token')], {
      env: { ...home.env, NOVA_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      server!.once('exit', (code) => reject(new Error(`nova serve exited (${code}): ${out}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    users.cleanup();
    for (const d of [victim, client]) if (d) execFileSync('rm', ['-rf', d]);
    await home?.cleanup();
  });

  const asUser = (method: string, params: unknown): Record<string, unknown> => {
    const body = join(client, `${method}.json`);
    writeFileSync(body, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), { mode: 0o644 });
    const out = execFileSync(TestUsers.as(attacker)[0]!, [...TestUsers.as(attacker).slice(1), 'curl', '-s', '-H', `@${join(client, 'auth')}`, '--data-binary', `@${body}`, `${url}/rpc`], { encoding: 'utf8' });
    return JSON.parse(out) as Record<string, unknown>;
  };

  it('a bind mount of a folder outside the roots is refused and nothing starts', async () => {
    const spec = { capsule: join(home.dir, 'data', 'rootfs'), command: ['sh', '-c', 'echo owned > /data/pwned'], volumes: [`${victim}:/data`] };
    const reply = asUser('capsule.create', { name: 'takeover', spec, start: true });
    expect(reply.error, JSON.stringify(reply)).toMatchObject({ data: { code: 'PERMISSION' }, message: expect.stringMatching(/spec\.volumes\[0\]: bind mount source .* is outside the folders Nova may use/) });
    // The trick of naming the victim as the project folder does not work either.
    const trick = asUser('capsule.create', { name: 'takeover', spec: { ...spec, volumes: ['./:/data'] }, baseDir: victim, start: true });
    expect(trick.error).toMatchObject({ data: { code: 'PERMISSION' } });
    // Nothing was created or started, nothing written where root did not choose.
    expect(readdirSync(victim)).toEqual([]);
    const listed = asUser('capsule.list', {});
    expect((listed.result as { items: { name: string }[] }).items.map((c) => c.name)).not.toContain('takeover');
    expect(existsSync(join(home.dir, 'data', 'capsules', 'takeover'))).toBe(false);
  });
});

describeHost("a user's engine: its home and configured roots, nothing else", { root: true, tools: ['useradd', 'userdel', 'setpriv', 'qemu-img'] }, () => {
  let user: HomeUser;
  let engine: UserEngine;
  let shared = ''; // a folder root made for everyone to read, outside the user's roots
  const call = (m: string, input: unknown) => outcome(engine.invoke(m, input));
  const novaCli = (args: string[]) =>
    execFileSync(user.as[0]!, [...user.as.slice(1), process.execPath, 'bin/nova.mjs', ...args, '--json'], {
      env: { PATH: process.env.PATH, HOME: user.home, NOVA_HOME: join(user.home, 'nova'), NOVA_FROM_SOURCE: '1' },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    user = createTestUser('nvpu');
    shared = mkdtempSync(join(tmpdir(), 'nvpol-kernels-'));
    chmodSync(shared, 0o755);
    for (const f of ['vmlinuz', 'initrd.gz']) writeFileSync(join(shared, f), 'not really a kernel', { mode: 0o644 });
    mkdirSync(join(user.home, 'kernels'));
    writeFileSync(join(user.home, 'kernels', 'vmlinuz'), 'mine');
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, join(user.home, 'kernels')]);
    engine = await startUserEngine(user, { NOVA_HOME: join(user.home, 'nova') });
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    user?.remove();
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  it('refuses /etc/shadow as kernel naming the fix; a kernel in its home is fine', async () => {
    const refused = await call('vm.create', { name: 'k', spec: { kernel: '/etc/shadow', memory: '64Mi' } });
    expect(refused).toMatch(/^PERMISSION: spec\.kernel: kernel \/etc\/shadow is outside the folders Nova may use \(.*\): .*nova config allow-root \/etc /);
    expect(refused).toContain(user.home); // its home is one of the roots shown
    expect(await call('vm.create', { name: 'k', spec: { kernel: join(shared, 'vmlinuz'), memory: '64Mi' } })).toMatch(/^PERMISSION: spec\.kernel: kernel .*nvpol-kernels-.* is outside/);
    expect(await call('vm.create', { name: 'k', spec: { kernel: join(user.home, 'kernels', 'vmlinuz'), memory: '64Mi' } })).toBe('OK');
  });

  it('disks, ISOs and outputs: its home yes, another folder no', async () => {
    expect(await call('vm.disk.create', { path: join(user.home, 'd.qcow2'), size: '1Mi' })).toBe('OK');
    expect(await call('vm.disk.create', { path: join(shared, 'd.qcow2'), size: '1Mi' })).toMatch(/^PERMISSION: path: disk image/);
    expect(await call('vm.create', { name: 'i', spec: { iso: join(shared, 'x.iso'), memory: '64Mi' } })).toMatch(/^PERMISSION: spec\.iso: ISO/);
    expect(await call('support.bundle', { output: join(shared, 'b.tar.gz') })).toMatch(/^PERMISSION: output: output/);
  });

  it('`nova config allow-root` (as the user, on the host) makes a folder usable: the direct-boot guest case', async () => {
    const out = JSON.parse(novaCli(['config', 'allow-root', shared])) as { allowedRoots: string[] };
    expect(out.allowedRoots).toEqual([shared]);
    expect(JSON.parse(novaCli(['config', 'get', 'allowedRoots']))).toEqual([shared]);
    const spec = { kernel: join(shared, 'vmlinuz'), initrd: join(shared, 'initrd.gz'), memory: '64Mi' };
    expect(await call('vm.create', { name: 'g', spec })).toBe('OK');
    novaCli(['config', 'remove-root', shared]);
    expect(await call('vm.update', { name: 'g', spec })).toMatch(/^PERMISSION: spec\.kernel/);
  });
});

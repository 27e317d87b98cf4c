// Capsules against the real thing: crun AND runc, a docker-registry on loopback, overlayfs,
// cgroups. One engine home; capsules run in parallel where the steps allow it. What users and
// root share (hostname, env, volumes, exec, snapshots, restart policy, nova up) is the host suite
// (src/test/capsule-host-suite.ts, run by suite-root.test.ts and suite-user.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs, pushImage, startRegistry, unmountUnder } from '../../test/capsule-fixtures.js';
import type { Registry } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { toNovaError } from '../../shared/errors.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeHost('capsules on crun/runc with a loopback registry', { root: true, tools: ['crun', 'runc', 'umoci', 'skopeo', 'docker-registry', 'curl', 'zstd'] }, () => {
  let home: TempHome;
  let engine: Engine;
  let registry: Registry;
  let rootfs: string;
  let work: string;
  const IMAGE = 'nova-test/busybox:1';
  const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;
  const fails = async (m: string, input: unknown) => {
    try {
      await engine.dispatcher.invoke(m, input);
    } catch (e) {
      return toNovaError(e);
    }
    throw new Error(`${m} should have failed`);
  };
  const exec = (name: string, ...command: string[]) => call<{ exitCode: number; stdout: string; stderr: string }>('capsule.exec', { name, command });
  const waitFor = async (name: string, pred: (c: CapsuleInfo) => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const c = await call('capsule.inspect', { name });
      if (pred(c)) return c;
      if (Date.now() > end) throw new Error(`${name}: still ${c.state}`);
      await sleep(100);
    }
  };

  beforeAll(async () => {
    home = await tempHome('nova-cap-');
    work = join(home.dir, 'work');
    mkdirSync(join(work, 'api'), { recursive: true });
    writeFileSync(join(work, 'api', 'hello.txt'), 'from the host\n');
    rootfs = busyboxRootfs(work);
    registry = await startRegistry(work);
    pushImage(work, rootfs, registry.addr, IMAGE);
    engine = home.engine({ env: { ...home.env, NOVA_REGISTRY: registry.addr } });
  });

  afterAll(async () => {
    if (engine) {
      const { items } = await call<{ items: CapsuleInfo[] }>('capsule.list', {}).catch(() => ({ items: [] as CapsuleInfo[] }));
      for (const c of items) await engine.dispatcher.call('capsule.rm', { name: c.name, force: true });
    }
    registry?.stop();
    // Nothing of ours may stay mounted, even after a failure.
    if (home) unmountUnder(home.dir);
    await home?.cleanup();
  });

  it('pulls an image from the registry with progress, and lists it', async () => {
    const progress: string[] = [];
    const off = engine.bus.on('task.progress', (t) => t.message && progress.push(t.message));
    const img = await call<{ ref: string; digest: string; layers: number; config: { cmd?: string[] } }>('image.pull', { ref: IMAGE });
    off();
    expect(img.ref).toBe(`${registry.addr}/${IMAGE}`);
    expect(img.digest).toMatch(/^sha256:/);
    expect(img.config.cmd).toEqual(['sh']);
    expect(progress.some((m) => /Copying blob/.test(m))).toBe(true);
    const { items } = await call<{ items: { ref: string }[] }>('image.list', {});
    expect(items.map((i) => i.ref)).toContain(img.ref);
  });

  it('imports a rootfs folder and a tarball as images that run', async () => {
    execFileSync('tar', ['-czf', join(work, 'rootfs.tgz'), '-C', rootfs, '.']);
    const fromDir = await call<{ ref: string; source: string }>('image.import', { source: './rootfs', name: 'local/bb:dir', baseDir: work, cmd: ['echo', 'imported'] });
    expect(fromDir).toMatchObject({ ref: `${registry.addr}/local/bb:dir`, source: 'import' });
    const fromTar = await call<{ ref: string; digest: string }>('image.import', { source: join(work, 'rootfs.tgz'), name: 'local/bb:tar' });
    expect(fromTar.digest).toMatch(/^sha256:/);
    const c = await call('capsule.create', { name: 'imp', spec: { capsule: 'local/bb:dir' }, start: true });
    const done = await waitFor('imp', (x) => x.state === 'exited');
    expect(done.exit?.code).toBe(0);
    const logs = await call<{ lines: { line: string }[]; cursor: number }>('capsule.logs', { name: 'imp' });
    expect(logs.lines.map((l) => l.line)).toEqual(['imported']);
    // Following from the cursor returns only what is new; --since filters by time.
    expect((await call<{ lines: unknown[] }>('capsule.logs', { name: 'imp', cursor: logs.cursor })).lines).toEqual([]);
    expect((await call<{ lines: unknown[] }>('capsule.logs', { name: 'imp', since: Date.now() + 60_000 })).lines).toEqual([]);
    expect(c.image.ref).toBe(fromDir.ref);
    expect((await fails('image.rm', { ref: 'local/bb:dir' })).code).toBe('CONFLICT');
    await call('capsule.rm', { name: 'imp' });
    for (const ref of ['local/bb:dir', 'local/bb:tar']) await call('image.rm', { ref });
  });

  it('rejects bad input clearly and leaves nothing behind', async () => {
    const capsules = () => readdirSync(join(home.dir, 'data', 'capsules')).filter((n) => n.startsWith('bad'));
    mkdirSync(join(home.dir, 'data', 'capsules'), { recursive: true });
    const unknown = await fails('capsule.create', { name: 'bad1', spec: { capsule: 'nova-test/nope:1' }, baseDir: work });
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/nope/);
    const vol = await fails('capsule.create', { name: 'bad2', spec: { capsule: IMAGE, volumes: ['./missing:/srv'] }, baseDir: work });
    expect(vol.code).toBe('INVALID_INPUT');
    expect(vol.message).toMatch(/volumes\[0\].*missing/);
    const mem = await fails('capsule.create', { name: 'bad3', spec: { capsule: IMAGE, limits: { memory: '-1' } }, baseDir: work });
    expect(mem.code).toBe('INVALID_INPUT');
    expect(mem.message).toMatch(/limits\.memory/);
    const badName = await fails('capsule.create', { name: 'Bad Name', spec: { capsule: IMAGE } });
    expect(badName.code).toBe('INVALID_INPUT');
    expect(capsules()).toEqual([]);
  });

  it('runs a capsule: hostname, command as pid 1, env, volumes, logs with redacted secrets', async () => {
    const web = await call('capsule.create', {
      name: 'web',
      baseDir: work,
      start: true,
      spec: {
        capsule: IMAGE,
        hostname: 'webhost',
        // sh stays pid 1 (it reaps orphans; a bare sleep would collect zombies up to the pids limit).
        command: ['sh', '-c', 'echo "token is $API_TOKEN"; echo oops >&2; while :; do sleep 1; done'],
        env: { API_TOKEN: 's3cr3t-value', GREETING: 'hi' },
        volumes: ['./api:/srv/api', './api:/srv/ro:ro'],
        limits: { memory: '64Mi', pids: 16, cpu: 0.5 },
      },
    });
    expect(web.state).toBe('running');
    expect(web.runtime).toBe('crun');
    expect(web.spec.env.API_TOKEN).toBe('«redacted»');
    expect((await exec('web', 'hostname')).stdout.trim()).toBe('webhost');
    expect((await exec('web', 'cat', '/proc/1/cmdline')).stdout.split('\0').slice(0, 2)).toEqual(['sh', '-c']);
    const env = (await exec('web', 'env')).stdout;
    // Every env value is a secret, short ones too: it reaches the capsule but never our output.
    expect(env).toMatch(/^GREETING=«redacted»$/m);
    expect((await exec('web', 'sh', '-c', 'test "$GREETING" = hi')).exitCode).toBe(0);
    expect(env).toMatch(/^IMAGE_VAR=from-image$/m);
    expect(env).toMatch(/^API_TOKEN=«redacted»$/m); // present in the capsule, hidden in what we return
    expect((await exec('web', 'cat', '/srv/api/hello.txt')).stdout).toBe('from the host');
    const ro = await exec('web', 'touch', '/srv/ro/x');
    expect(ro.exitCode).not.toBe(0);
    expect((await exec('web', 'sh', '-c', 'exit 5')).exitCode).toBe(5);
    // Loopback only without a network.
    expect((await exec('web', 'ip', '-o', 'link')).stdout.trim().split('\n')).toHaveLength(1);

    const logs = await call<{ lines: { at: number; stream: string; line: string }[] }>('capsule.logs', { name: 'web' });
    expect(logs.lines.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'token is «redacted»'],
      ['stderr', 'oops'],
    ]);
    expect(Math.abs(logs.lines[0]!.at - Date.now())).toBeLessThan(60_000);
    const rec = join(home.dir, 'data', 'capsules', 'web', 'capsule.json');
    expect(execFileSync('stat', ['-c', '%a', rec], { encoding: 'utf8' }).trim()).toBe('600');
    expect((await fails('capsule.create', { name: 'web', spec: { capsule: IMAGE } })).code).toBe('CONFLICT');
  });

  it('enforces memory and pids limits and reports them in stats', async () => {
    const before = await call<{ memoryLimitBytes?: number; pidsLimit?: number; oomKills: number; pids: number }>('capsule.stats', { name: 'web' });
    expect(before.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(before.pidsLimit).toBe(16);
    // Limits change live (the NovaFile planner's in-place update); other fields are refused.
    const spec = (await call('capsule.inspect', { name: 'web', secrets: true })).spec;
    const raised = await call('capsule.update', { name: 'web', spec: { ...spec, limits: { ...spec.limits, pids: 20 } } });
    expect(raised.spec.limits.pids).toBe(20);
    expect((await call<{ pidsLimit?: number }>('capsule.stats', { name: 'web' })).pidsLimit).toBe(20);
    await call('capsule.update', { name: 'web', spec: { ...spec, limits: { ...spec.limits, pids: 16 } } });
    expect((await fails('capsule.update', { name: 'web', spec: { ...spec, hostname: 'other' } })).message).toMatch(/spec\.hostname/);
    const metrics: unknown[] = [];
    const off = engine.bus.on('metrics.sample', (m) => metrics.push(m));
    // dd needs a 100 MiB buffer: the OOM killer ends it inside the 64 MiB capsule.
    const dd = await exec('web', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1');
    expect(dd.exitCode).not.toBe(0);
    const fork = await exec('web', 'sh', '-c', 'for i in $(seq 1 40); do sleep 1 & done; wait');
    expect(fork.stderr).toMatch(/fork|Resource temporarily unavailable/i);
    const after = await call<{ oomKills: number; pids: number }>('capsule.stats', { name: 'web' });
    for (let i = 0; i < 50 && (await call<{ pids: number }>('capsule.stats', { name: 'web' })).pids > 2; i++) await sleep(100);
    off();
    expect(after.oomKills).toBeGreaterThan(before.oomKills);
    expect(after.pids).toBeLessThanOrEqual(16);
    expect(metrics).toContainEqual(expect.objectContaining({ kind: 'capsule', name: 'web' }));
    expect((await call('capsule.inspect', { name: 'web' })).state).toBe('running');
  });

  it('snapshots the writable layer and restores changed, deleted and opaque paths', async () => {
    const sh = (s: string) => exec('web', 'sh', '-c', s);
    const first = await sh('set -e; echo v1 > /data/keep; echo gone-later > /data/del; rm /bin/vi; rm -rf /usr/share/doc; mkdir /usr/share/doc; echo mine > /usr/share/doc/own');
    expect(first).toMatchObject({ exitCode: 0, stderr: '' });
    const snap = await call<{ tag: string; sizeBytes: number }>('capsule.snapshot.create', { name: 'web', tag: 'base' });
    expect(snap.tag).toBe('base');
    expect((await call('capsule.inspect', { name: 'web' })).state).toBe('running'); // resumed
    await sh('echo v2 > /data/keep; rm /data/del; echo new > /data/extra; rm -rf /usr/share/doc/own');
    const restored = await call('capsule.snapshot.restore', { name: 'web', tag: 'base', timeout: 1 });
    expect(restored.state).toBe('running');
    const r = await sh('cat /data/keep /data/del; ls /data; ls /usr/share/doc; test -e /bin/vi && echo vi-back || echo vi-deleted');
    expect(r.stdout.trim().split('\n')).toEqual(['v1', 'gone-later', 'del', 'keep', 'own', 'vi-deleted']);
    const { items } = await call<{ items: { tag: string }[] }>('capsule.snapshot.list', { name: 'web' });
    expect(items.map((s) => s.tag)).toEqual(['base']);
  });

  it('keeps the exit code for a new engine after the first one exits', async () => {
    await call('capsule.create', { name: 'job', spec: { capsule: IMAGE, command: 'sleep 1.5; echo done; exit 7' }, start: true });
    await engine.close();
    const second = home.engine({ env: { ...home.env, NOVA_REGISTRY: registry.addr } });
    const job = (await second.dispatcher.invoke('capsule.inspect', { name: 'job' })) as CapsuleInfo;
    expect(job.state).toBe('running');
    engine = second;
    const done = await waitFor('job', (c) => c.state === 'exited', 10_000);
    expect(done.exit?.code).toBe(7);
    const logs = await call<{ lines: { line: string }[] }>('capsule.logs', { name: 'job' });
    expect(logs.lines.map((l) => l.line)).toEqual(['done']);
  });

  it('stops with SIGTERM, then SIGKILL after the grace period', async () => {
    await call('capsule.create', { name: 'trap', spec: { capsule: IMAGE, command: "trap 'exit 3' TERM; while :; do sleep 0.1; done" }, start: true });
    const trapped = await call('capsule.stop', { name: 'trap', timeout: 5 });
    expect(trapped.exit?.code).toBe(3);
    // sh as pid 1 without a trap ignores SIGTERM: killed after the 1 s grace.
    const t0 = Date.now();
    const web = await call('capsule.stop', { name: 'web', timeout: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(web.state).toBe('exited');
    expect(web.exit).toMatchObject({ code: 137, signal: 'SIGKILL' });
  });

  it('runs the same capsule on runc, pauses and resumes it', async () => {
    const c = await call('capsule.create', { name: 'onrunc', spec: { capsule: IMAGE, runtime: 'runc', hostname: 'r1', user: 'nobody', read_only: true, command: ['sleep', '1000'] }, start: true });
    expect(c.runtime).toBe('runc');
    expect((await exec('onrunc', 'hostname')).stdout.trim()).toBe('r1');
    expect((await exec('onrunc', 'id', '-u')).stdout.trim()).toBe('65534');
    expect((await exec('onrunc', 'touch', '/x')).stderr).toMatch(/Read-only file system/);
    expect((await call('capsule.pause', { name: 'onrunc' })).state).toBe('paused');
    // Lists derive state from one runtime `list` call: a paused capsule must still show paused.
    const listed = await call<{ items: CapsuleInfo[] }>('capsule.list', {});
    expect(listed.items.find((c) => c.name === 'onrunc')?.state).toBe('paused');
    const rows = await call<{ items: { name: string; state: string }[] }>('resource.list', { kind: 'capsule' });
    expect(rows.items.find((c) => c.name === 'onrunc')?.state).toBe('paused');
    expect((await call('capsule.resume', { name: 'onrunc' })).state).toBe('running');
    expect((await call('capsule.stop', { name: 'onrunc', timeout: 0 })).state).toBe('exited');
  });

  it('a serving engine publishes changes made elsewhere as they happen (inotify, not its 10 s safety pass): pause by another engine, kill -9 from a shell is "crashed"', async () => {
    const watching = home.engine({ env: { ...home.env, NOVA_REGISTRY: registry.addr } });
    const seen: string[] = [];
    watching.bus.on('capsule.state', (e) => e.name === 'k9' && seen.push(e.state));
    await watching.start();
    try {
      const c = await call('capsule.create', { name: 'k9', spec: { capsule: IMAGE, command: ['sleep', '1000'] }, start: true });
      const within = async (state: string, ms: number) => {
        const t0 = Date.now();
        while (seen.at(-1) !== state) {
          if (Date.now() - t0 > ms) throw new Error(`still ${seen.at(-1)} after ${ms} ms (seen ${seen.join(', ')})`);
          await sleep(20);
        }
      };
      await within('running', 5_000);
      // ~40 ms on an idle machine; a CI machine busy with TCG guests once took over 1 s. Any
      // budget under the monitor's 10 s safety pass still proves the change came by inotify.
      const EVENT_MS = 4_000;
      await call('capsule.pause', { name: 'k9' });
      await within('paused', EVENT_MS);
      await call('capsule.resume', { name: 'k9' });
      await within('running', EVENT_MS);
      process.kill(c.pid!, 'SIGKILL');
      await within('crashed', EVENT_MS);
      const k9 = await call('capsule.inspect', { name: 'k9' });
      expect(k9).toMatchObject({ state: 'crashed', exit: { code: 137, signal: 'SIGKILL' } });
      expect(k9.reason).toMatch(/killed by SIGKILL/);
    } finally {
      await watching.close();
      await call('capsule.rm', { name: 'k9', force: true }).catch(() => undefined);
    }
  });

  it('brings an always-restart capsule back when an engine starts after a crash', async () => {
    const c = await call('capsule.create', { name: 'always', spec: { capsule: IMAGE, restart: 'always', command: 'while :; do sleep 1; done' }, start: true });
    // Simulate a host crash: supervisor and capsule die without a word.
    const supPid = Number(readFileSync(join(home.dir, 'data', 'capsules', 'always', 'supervisor.pid'), 'utf8'));
    process.kill(supPid, 'SIGKILL');
    process.kill(c.pid!, 'SIGKILL');
    const down = await waitFor('always', (x) => x.state !== 'running', 10_000);
    expect(down.state).toBe('crashed');
    await engine.start();
    const up = await call('capsule.inspect', { name: 'always' });
    expect(up.state).toBe('running');
    expect(up.pid).not.toBe(c.pid);
  });

  it('refuses to start on a network that does not exist, naming it, and leaves no netns behind', async () => {
    const e = await fails('capsule.create', { name: 'netted', spec: { capsule: IMAGE, network: 'no-such-net' }, start: true });
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/no-such-net/);
    const left = await call('capsule.inspect', { name: 'netted' }).catch(() => undefined);
    if (left) {
      expect(left.state).not.toBe('running');
      expect(existsSync(`/run/netns/${left.id}`)).toBe(false);
      await call('capsule.rm', { name: 'netted', force: true });
    }
  });

  it('rm leaves no mounts, cgroups, processes or files', async () => {
    const { items } = await call<{ items: CapsuleInfo[] }>('capsule.list', {});
    const ids = items.map((c) => c.id);
    await call('capsule.start', { name: 'trap' });
    expect((await fails('capsule.rm', { name: 'trap' })).code).toBe('CONFLICT');
    for (const c of items) await call('capsule.rm', { name: c.name, force: true });
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mounts.includes(home.dir)).toBe(false);
    for (const id of ids) {
      for (const ctl of readdirSync('/sys/fs/cgroup')) expect(existsSync(join('/sys/fs/cgroup', ctl, 'nova', id))).toBe(false);
    }
    const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
    expect(procs.filter((c) => c.includes(home.dir) && !c.startsWith('flock') && !c.startsWith('docker-registry'))).toEqual([]);
    expect(readdirSync(join(home.dir, 'data', 'capsules'))).toEqual([]);
    expect((await call<{ removed: boolean }>('image.rm', { ref: IMAGE })).removed).toBe(true);
  });
});

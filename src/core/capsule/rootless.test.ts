// Capsules of an ordinary user, for real: a user created here (useradd gives it subordinate id
// ranges) runs a Nova engine under setpriv, with crun and runc, images from a loopback registry,
// overlayfs and tar inside its user namespace. The host must see every capsule process under the
// user's uid or its subordinate ids, never root, and nothing of it after rm.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { toNovaError } from '../../shared/errors.js';
import { busyboxRootfs, mountsUnder, pushImage, startRegistry, unmountUnder } from '../../test/capsule-fixtures.js';
import type { Registry } from '../../test/capsule-fixtures.js';
import { describeHost } from '../../test/host.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUNTIMES = ['crun', 'runc'] as const;

describeHost(
  'capsules of an ordinary user (user namespaces, crun and runc)',
  { root: true, tools: ['crun', 'runc', 'newuidmap', 'newgidmap', 'nsenter', 'umoci', 'skopeo', 'docker-registry', 'curl', 'zstd', 'setpriv', 'useradd'] },
  () => {
    let user: HomeUser;
    let home: string;
    let work: string;
    let registry: Registry;
    let engine: UserEngine;
    const IMAGE = 'nova-test/rootless:1';
    const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
    const fails = async (m: string, input: unknown) => {
      try {
        await engine.invoke(m, input);
      } catch (e) {
        return toNovaError(e);
      }
      throw new Error(`${m} should have failed`);
    };
    const exec = (name: string, command: string[], user?: string) =>
      call<{ exitCode: number; stdout: string; stderr: string }>('capsule.exec', { name, command, ...(user ? { user } : {}) });
    const waitFor = async (name: string, pred: (c: CapsuleInfo) => boolean, ms = 15_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const c = await call('capsule.inspect', { name });
        if (pred(c)) return c;
        if (Date.now() > end) throw new Error(`${name}: still ${c.state} (${c.reason ?? ''})`);
        await sleep(100);
      }
    };
    const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    /** Host uids of every process in the pid namespace of `pid` (the capsule's). */
    const capsuleUids = (pid: number) => {
      const ns = readlinkSync(`/proc/${pid}/ns/pid`);
      const uids: number[] = [];
      for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          if (readlinkSync(`/proc/${p}/ns/pid`) === ns) uids.push(uidOf(Number(p)));
        } catch {
          /* gone meanwhile */
        }
      }
      return uids;
    };
    const sub = (inside: number) => user.subuid.start + inside - 1;

    beforeAll(async () => {
      user = createTestUser();
      home = mkdtempSync('/tmp/nova-rl-');
      work = join(home, 'work');
      mkdirSync(join(work, 'api'), { recursive: true });
      writeFileSync(join(work, 'api', 'hello.txt'), 'from the host\n');
      const rootfs = busyboxRootfs(work);
      // A file owned by "nobody" in the image: unpacked for the user, it must land on a subordinate id.
      writeFileSync(join(rootfs, 'data', 'nobody.txt'), 'n\n');
      chownSync(join(rootfs, 'data', 'nobody.txt'), 65534, 65534);
      registry = await startRegistry(work);
      pushImage(work, rootfs, registry.addr, IMAGE);
      execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
      engine = await startUserEngine(user, { NOVA_HOME: home, NOVA_REGISTRY: registry.addr });
    });

    afterAll(async () => {
      if (engine) {
        const { items } = await call<{ items: CapsuleInfo[] }>('capsule.list', {}).catch(() => ({ items: [] as CapsuleInfo[] }));
        for (const c of items) await engine.invoke('capsule.rm', { name: c.name, force: true }).catch(() => undefined);
        await engine.close();
      }
      registry?.stop();
      user?.remove();
      if (home) {
        unmountUnder(home);
        execFileSync('rm', ['-rf', home]);
      }
    });

    it('a failed import leaves nothing in the image store; a pull unpacks with owners on subordinate ids', async () => {
      // Make the unpack step fail: the folder for unpacked images is a file.
      const images = join(home, 'data', 'images');
      mkdirSync(images, { recursive: true });
      writeFileSync(join(images, 'rootfs'), 'in the way');
      execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, join(home, 'data')]);
      const failed = await fails('image.import', { source: './rootfs', name: 'local/broken:1', baseDir: work });
      expect(failed.message).toBeTruthy();
      const layout = JSON.parse(readFileSync(join(images, 'oci', 'index.json'), 'utf8')) as { manifests: unknown[] | null };
      expect(layout.manifests ?? []).toEqual([]); // umoci writes null for none
      expect((await call<{ items: unknown[] }>('image.list', {})).items).toEqual([]);
      execFileSync('rm', [join(images, 'rootfs')]);

      const img = await call<{ ref: string; digest: string }>('image.pull', { ref: IMAGE });
      expect(img.ref).toBe(`${registry.addr}/${IMAGE}`);
      const unpacked = join(images, 'rootfs', img.digest.replace(':', '-'));
      expect(statSync(join(unpacked, 'etc', 'passwd')).uid).toBe(user.uid); // image root = the user
      expect(statSync(join(unpacked, 'data', 'nobody.txt')).uid).toBe(sub(65534));
      // Store and capsules live in the user's data folder, owned by the user.
      expect(statSync(join(home, 'data', 'images', 'index.json')).uid).toBe(user.uid);
    });

    it('runs capsules on crun and runc in the user namespace: hostname, env, volume, exec as uid 1000, logs', async () => {
      for (const rt of RUNTIMES) {
        const c = await call('capsule.create', {
          name: `web-${rt}`,
          baseDir: work,
          start: true,
          spec: { capsule: IMAGE, runtime: rt, hostname: `host-${rt}`, env: { GREETING: 'hi' }, volumes: ['./api:/srv/api'], command: ['sh', '-c', 'echo started; while :; do sleep 1; done'] },
        });
        expect(c).toMatchObject({ state: 'running', runtime: rt, rootless: true });
        expect((await exec(c.name, ['hostname'])).stdout).toBe(`host-${rt}`);
        expect((await exec(c.name, ['sh', '-c', 'echo $GREETING $IMAGE_VAR'])).stdout).toBe('hi from-image');
        // The user's folder is root's inside, and what root writes there is the user's outside.
        expect((await exec(c.name, ['stat', '-c', '%u %g', '/srv/api/hello.txt'])).stdout).toBe('0 0');
        expect((await exec(c.name, ['sh', '-c', `echo ${rt} > /srv/api/from-${rt}`])).exitCode).toBe(0);
        expect(statSync(join(work, 'api', `from-${rt}`)).uid).toBe(user.uid);
        expect((await exec(c.name, ['stat', '-c', '%u', '/data/nobody.txt'])).stdout).toBe('65534');
        // A process of uid 1000 inside runs as a subordinate id outside.
        const as1000 = await exec(c.name, ['sh', '-c', 'id -u; sleep 60 >/dev/null 2>&1 &'], '1000:1000');
        expect(as1000.stdout).toBe('1000');
        const uids = capsuleUids(c.pid!);
        expect(uids).toContain(user.uid);
        expect(uids).toContain(sub(1000));
        expect(uids.every((u) => u === user.uid || (u >= user.subuid.start && u < user.subuid.start + user.subuid.count))).toBe(true);
        expect(uidOf(c.pid!)).toBe(user.uid);
        const logs = await call<{ lines: { stream: string; line: string }[] }>('capsule.logs', { name: c.name });
        expect(logs.lines.map((l) => l.line)).toEqual(['started']);
      }
    });

    it('refuses limits without cgroup delegation, naming the fix, and shows they are not enforced', async () => {
      const e = await fails('capsule.create', { name: 'limited', baseDir: work, spec: { capsule: IMAGE, limits: { memory: '64Mi' } } });
      expect(e.code).toBe('HOST_UNSUPPORTED');
      expect(e.message).toMatch(/spec\.limits \(memory\)/);
      expect(e.message).toMatch(/delegation/);
      expect(existsSync(join(home, 'data', 'capsules', 'limited'))).toBe(false);
      const web = await call('capsule.inspect', { name: 'web-crun' });
      expect(web.limitsNote).toMatch(/^limits not enforced: /);
      const rows = await call<{ items: { name: string; detail?: string }[] }>('resource.list', { kind: 'capsule' });
      expect(rows.items.find((r) => r.name === 'web-crun')?.detail).toMatch(/rootless · limits not enforced/);
    });

    it('snapshots and restores the writable layer inside the user namespace (owners, deletions, opaque dirs)', async () => {
      const sh = (s: string, u?: string) => exec('web-crun', ['sh', '-c', s], u);
      expect(await sh('set -e; echo v1 > /data/keep; rm /bin/vi; rm -rf /usr/share/doc; mkdir /usr/share/doc; echo mine > /usr/share/doc/own')).toMatchObject({ exitCode: 0, stderr: '' });
      expect((await sh('mkdir /data/u && chown 1000:1000 /data/u')).exitCode).toBe(0);
      expect((await sh('echo owned > /data/u/by1000; chmod 600 /data/u/by1000', '1000:1000')).exitCode).toBe(0);
      await call('capsule.snapshot.create', { name: 'web-crun', tag: 'base' });
      await sh('echo v2 > /data/keep; rm -rf /usr/share/doc/own /data/u/by1000; echo new > /data/extra');
      const back = await call('capsule.snapshot.restore', { name: 'web-crun', tag: 'base', timeout: 0 });
      expect(back.state).toBe('running');
      const r = await sh('cat /data/keep; ls /usr/share/doc; test -e /bin/vi && echo vi-back || echo vi-deleted; test -e /data/extra && echo extra || echo no-extra; stat -c %u /data/u/by1000');
      expect(r.stdout.split('\n')).toEqual(['v1', 'own', 'vi-deleted', 'no-extra', '1000']);
    });

    it('restarts a failing capsule by policy', async () => {
      await call('capsule.create', { name: 'flaky', spec: { capsule: IMAGE, runtime: 'runc', command: 'echo run; exit 1', restart: 'on-failure' }, start: true });
      await waitFor('flaky', (c) => c.restarts >= 2);
      expect((await call('capsule.stop', { name: 'flaky', timeout: 0 })).state).toBe('exited');
    });

    it('stop and rm leave no process, mount or file behind', async () => {
      const { items } = await call<{ items: CapsuleInfo[] }>('capsule.list', {});
      expect(items.length).toBeGreaterThan(0);
      for (const c of items) await call('capsule.rm', { name: c.name, force: true });
      // Only the engine itself (node, its esbuild and lock helper) may still run as the user.
      const left = user.processes().filter((p) => p.pid !== engine.proc.pid && !/esbuild|nova-lock-helper|user-engine-server/.test(p.cmd));
      expect(left).toEqual([]);
      expect(mountsUnder(home)).toEqual([]);
      expect(readdirSync(join(home, 'data', 'capsules'))).toEqual([]);
      await call('image.rm', { ref: IMAGE });
      expect(readdirSync(join(home, 'data', 'images', 'rootfs'))).toEqual([]);
    });
  },
);

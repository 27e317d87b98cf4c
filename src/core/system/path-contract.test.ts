// Every procedure of the contract that takes a host path, called by an engine running as an
// ordinary user with paths outside its allowed roots (/etc/shadow, /, a world-writable folder
// elsewhere, ../ traversal, a symlink out of its home, relative paths over the API): each is
// refused naming the field and the fix, and nothing is written. The list of path fields is
// checked against the zod schemas, so a new path field without a policy fails here.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputStringFields } from '../../test/contract-fields.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';

/**
 * How a field is policed:
 * - file: read or written by Nova — refused outside the roots for every caller;
 * - project: names the caller's project folder — trusted from the person at the host (their
 *   folder becomes a root unless it is too wide, like / or /etc), refused over the API;
 * - base: only resolves the relative paths of the same call — hostile with a relative path;
 * - remote: a root-widening folder (storage pool) — refused over the API only;
 * - netns: a network namespace, not a file (its own policy).
 */
type Kind = 'file' | 'project' | 'base' | 'remote' | 'netns';
interface Field {
  kind: Kind;
  /** The call with `p` in the field. */
  input: (p: string) => Record<string, unknown>;
  /** The field the refusal must name (default: the field, `[]` as `[0]`); several: any of them. */
  names?: string | string[];
}

/** A path under the user's home (allowed), for the other fields of a call. */
let safe = '';
const SAFE = () => safe;
/** A local rootfs folder under the home (nothing is ever pulled). */
const ROOTFS = () => join(dirname(safe), 'rootfs');

const vmSpec = (field: string, p: string): Record<string, unknown> =>
  field === 'spec.disks[]' ? { disks: [p] } : field === 'spec.disks[].path' ? { disks: [{ path: p }] } : field === 'spec.disks[].backing' ? { disks: [{ path: SAFE(), backing: p }] } : field === 'spec.shares[].host' ? { image: SAFE(), shares: [{ host: p, tag: 'hostile' }] } : field === 'spec.iso[]' ? { iso: [p] } : field === 'spec.initrd' ? { kernel: SAFE(), initrd: p } : { [field.slice('spec.'.length)]: p };
const vmFields = (m: 'vm.create' | 'vm.update' | 'vm.receive'): Record<string, Field> => {
  const extra = m === 'vm.receive' ? { listen: 'tcp:127.0.0.1:1' } : {};
  const out: Record<string, Field> = {};
  const named: Record<string, string> = { 'spec.disks[].path': 'spec.disks[0]', 'spec.disks[].backing': 'spec.disks[0].backing', 'spec.shares[].host': 'spec.shares[0].host' };
  for (const f of ['spec.image', 'spec.disks[]', 'spec.disks[].path', 'spec.disks[].backing', 'spec.iso', 'spec.iso[]', 'spec.kernel', 'spec.initrd', 'spec.shares[].host']) {
    out[`${m} ${f}`] = { kind: 'file', input: (p) => ({ name: 'hostile', spec: vmSpec(f, p), ...extra }), names: named[f] };
  }
  out[`${m} baseDir`] = { kind: 'base', input: (p) => ({ name: 'hostile', spec: { image: 'd.qcow2' }, baseDir: p, ...extra }), names: ['spec.image', 'baseDir'] };
  return out;
};
const capsuleFields = (m: 'capsule.create' | 'capsule.update'): Record<string, Field> => ({
  [`${m} spec.capsule`]: { kind: 'file', input: (p) => ({ name: 'hostile', spec: { capsule: p.startsWith('/') ? p : `./${p}` } }) },
  [`${m} spec.volumes[]`]: { kind: 'file', input: (p) => ({ name: 'hostile', spec: { capsule: ROOTFS(), volumes: [`${p}:/data`] } }) },
  [`${m} baseDir`]: { kind: 'base', input: (p) => ({ name: 'hostile', spec: { capsule: ROOTFS(), volumes: ['./x:/data'] }, baseDir: p }), names: ['spec.volumes[0]', 'baseDir'] },
});
const NOVAFILE_EXTRA: Record<string, Record<string, unknown>> = { 'novafile.run': { kind: 'vm', name: 'x' }, 'novafile.addVm': { name: 'x', spec: { image: 'x.qcow2' } } };
const novafileFields = (m: string): Record<string, Field> => ({
  // A relative NovaFile path over the API: "give cwd" (validate: "give an absolute path").
  [`${m} path`]: { kind: 'project', input: (p) => ({ path: p, ...NOVAFILE_EXTRA[m] }), names: ['path', 'cwd'] },
  [`${m} cwd`]: { kind: 'project', input: (p) => ({ cwd: p, ...NOVAFILE_EXTRA[m] }) },
});

const FIELDS: Record<string, Field> = {
  ...vmFields('vm.create'),
  ...vmFields('vm.update'),
  ...vmFields('vm.receive'),
  'vm.screenshot path': { kind: 'file', input: (p) => ({ name: 'hostile', path: p }) },
  'vm.migrate to': { kind: 'file', input: (p) => ({ name: 'hostile', to: `home:${p}` }) },
  'vm.disk.create path': { kind: 'file', input: (p) => ({ path: p, size: '1Mi' }) },
  'vm.disk.create backing': { kind: 'file', input: (p) => ({ path: SAFE(), size: '1Mi', backing: p }) },
  'vm.disk.import source': { kind: 'file', input: (p) => ({ source: p, path: SAFE() }) },
  'vm.disk.import path': { kind: 'file', input: (p) => ({ source: SAFE(), path: p }) },
  'vm.disk.resize path': { kind: 'file', input: (p) => ({ path: p, size: '2Mi' }) },
  'vm.disk.info path': { kind: 'file', input: (p) => ({ path: p }) },
  ...capsuleFields('capsule.create'),
  ...capsuleFields('capsule.update'),
  'image.import source': { kind: 'file', input: (p) => ({ source: p, name: 'localhost/hostile:1' }) },
  'image.import baseDir': { kind: 'base', input: (p) => ({ source: 'rootfs', name: 'localhost/hostile:1', baseDir: p }), names: ['source', 'baseDir'] },
  'support.bundle output': { kind: 'file', input: (p) => ({ output: p }) },
  'support.bundle novafile': { kind: 'file', input: (p) => ({ novafile: p, output: SAFE() }) },
  'support.bundle cwd': { kind: 'project', input: (p) => ({ cwd: p, output: SAFE() }) },
  'system.install destdir': { kind: 'file', input: (p) => ({ destdir: p }) },
  'system.uninstall destdir': { kind: 'file', input: (p) => ({ destdir: p }) },
  'storage.pool.add path': { kind: 'remote', input: (p) => ({ name: 'hostile', path: p }) },
  'network.attach netns': { kind: 'netns', input: (p) => ({ network: 'hostile', owner: { kind: 'capsule', name: 'hostile' }, netns: p }) },
  ...novafileFields('novafile.validate'),
  ...novafileFields('novafile.plan'),
  ...novafileFields('novafile.up'),
  ...novafileFields('novafile.run'),
  ...novafileFields('novafile.down'),
  ...novafileFields('novafile.addVm'),
  ...novafileFields('cluster.plan'),
  ...novafileFields('cluster.up'),
  ...novafileFields('cluster.down'),
};

/** Fields whose name looks like a path but that never reach the host's filesystem as one. */
const NOT_HOST_PATHS: Record<string, string> = {
  'vm.clone source': 'the name of the VM to clone',
  'vm.receive listen': 'a tcp:HOST:PORT address',
  'vm.migrate.preflight to': 'the name of a host added with `nova host add`',
  'vm.migrate.host to': 'the name of a host added with `nova host add`',
  'vm.xmigrate.receive disks[].base.image': "the name of an OS image in the target's own store (a plain name, checked in xmigrate/base.ts)",
  'vm.xmigrate.receive disks[].base.file': "compared with the target's own image.json; only the target's stored copy is opened",
  'vm.xmigrate.receive media[].file': 'a file name (no folder), looked up in the default storage pool only',
  'vm.wizard iso': 'only written into the NovaFile text returned; checked when that is applied (vm.create)',
  'vm.wizard virtioWin': 'as vm.wizard iso',
  'vm.wizard diskSize': 'a size',
  'capsule.create spec.workdir': "a folder inside the capsule's own root filesystem",
  'capsule.update spec.workdir': 'as capsule.create spec.workdir',
  'capsule.exec workdir': 'inside the capsule',
  'capsule.execArgv workdir': 'inside the capsule',
  'terminal.open target.workdir': 'inside the capsule',
  'system.status destdir': "reads (lstat) only Nova's own target files under it; writes nothing",
  // The HA spec is stored in etcd; the host that runs it creates it with capsule.create, whose guard checks it there.
  'cluster.place spec.capsule': 'checked by capsule.create on the host that runs it (relative paths refused here: no folder travels)',
  'cluster.place spec.volumes[]': 'as cluster.place spec.capsule',
  'cluster.place spec.workdir': "a folder inside the capsule's own root filesystem",
  // An HA VM's spec is stored in etcd; the host that runs it defines it with vm.create, whose guard checks every file there.
  // cluster.place itself only compares the paths with the shared storage folder (ha-vm.ts checkHaVm: absolute, inside it).
  'cluster.place vm.image': 'checked by vm.create on the host that runs it; here only: inside the cluster\'s shared storage',
  'cluster.place vm.disks[]': 'as cluster.place vm.image',
  'cluster.place vm.disks[].path': 'as cluster.place vm.image',
  'cluster.place vm.disks[].backing': 'as cluster.place vm.image',
  'cluster.place vm.iso': 'as cluster.place vm.image',
  'cluster.place vm.iso[]': 'as cluster.place vm.image',
  'cluster.place vm.kernel': 'as cluster.place vm.image',
  'cluster.place vm.initrd': 'as cluster.place vm.image',
};

/** A name that says "this may be a path": a new field named like this must be classified above. */
const PATH_LIKE = /path|dir|file|iso|image|kernel|initrd|volume|netns|output|source|dest|backing|cwd|capsule|disk|^to$|win|listen|socket|log|mount|root|folder/i;

describe('the contract: every path-like input field has a path policy or a reason', () => {
  it('matches the zod schemas', () => {
    const all = inputStringFields();
    const pathLike = all.filter((f) => PATH_LIKE.test(f.split(' ')[1]!.replace(/\[\d*\]/g, '').split('.').at(-1)!));
    const classified = new Set([...Object.keys(FIELDS), ...Object.keys(NOT_HOST_PATHS)]);
    expect(pathLike.filter((f) => !classified.has(f)), 'path-like fields with no policy here: add them to FIELDS (and the path guard) or NOT_HOST_PATHS').toEqual([]);
    expect([...classified].filter((f) => !all.includes(f)), 'listed here but gone from the contract').toEqual([]);
  });
});

const label = (e: unknown) => {
  const x = e as { code?: string; message?: string; details?: { field?: string; issues?: { field: string }[] } };
  return `${x.code}: ${x.message} ${JSON.stringify(x.details ?? {})}`;
};

describeHost('hostile paths to every path-taking procedure, engine run as an unprivileged user', { root: true, tools: ['useradd', 'userdel', 'setpriv'] }, () => {
  let user: HomeUser;
  let engine: UserEngine;
  /** A folder the user may write (0777) outside its roots: refused by policy, not by permissions. */
  let open = '';

  beforeAll(async () => {
    user = createTestUser('nvpc');
    open = mkdtempSync(join(tmpdir(), 'nvpc-open-'));
    chmodSync(open, 0o777);
    symlinkSync(open, join(user.home, 'out-link'));
    mkdirSync(join(user.home, 'proj', 'rootfs'), { recursive: true }); // a local rootfs: nothing to pull
    execFileSync('chown', ['-h', `${user.uid}:${user.gid}`, join(user.home, 'out-link'), join(user.home, 'proj'), join(user.home, 'proj', 'rootfs')]);
    safe = join(user.home, 'proj', 'ok.qcow2');
    engine = await startUserEngine(user, { NOVA_HOME: join(user.home, 'nova') });
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    user?.remove();
    if (open) rmSync(open, { recursive: true, force: true });
  });

  /** Hostile values per kind; `local`: from the person at the host (in-process), else over the API. */
  const values = (kind: Kind, local: boolean): string[] => {
    const outside = ['/etc/shadow', '/', `${open}/out`, `${user.home}/../..${open}/out`, `${user.home}/out-link/out`];
    if (kind === 'netns') return ['/etc/shadow', '/', '/run/netns/../../etc/shadow', '/proc/1/ns/net', `/proc/${engine.proc.pid}/ns/net`, `${user.home}/out-link`, '/proc/self/ns/net', 'net'];
    if (local && (kind === 'project' || kind === 'base')) return ['/', '/etc']; // their own folder is theirs to choose, but not these
    if (local && kind === 'remote') return [];
    // Relative: over the API there is no working directory; in-process it resolves against the
    // engine's cwd (the checkout, a root) and climbs out of it.
    return [...outside, local ? `../../../../../../../..${open}/out` : '../out'];
  };

  const fix = (kind: Kind) =>
    kind === 'netns'
      ? /give the capsule's own network namespace|a path like/
      : /nova config allow-root \/|give an absolute path|an API call has no working directory|must be an absolute path|write to = /;

  for (const local of [false, true]) {
    it(`${local ? 'in-process (CLI/app)' : 'over the API (nova serve)'}: each is refused naming the field and the fix, nothing written`, async () => {
      let calls = 0;
      for (const [key, f] of Object.entries(FIELDS)) {
        const [method, field] = key.split(' ') as [string, string];
        const names = [f.names ?? field.replace('[]', '[0]')].flat();
        for (const p of values(f.kind, local)) {
          const input = f.input(p);
          const got = await engine.invoke(method, input, { remote: !local }).then(
            (v) => ({ ok: true as const, v }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          calls++;
          const what = `${local ? 'local' : 'API'} ${method} ${JSON.stringify(input)}`;
          expect(got.ok, `${what} was accepted: ${JSON.stringify(got)}`).toBe(false);
          const e = (got as { e: { code: string; message: string; details?: { field?: string; issues?: { field: string }[] } } }).e;
          expect(['PERMISSION', 'INVALID_INPUT'], `${what}: ${label(e)}`).toContain(e.code);
          // The guard names its field; a schema refusal lists issues by field ("spec.disks.0").
          const named = e.details?.field ?? e.details?.issues?.[0]?.field.replace(/\.(\d+)/g, '[$1]');
          expect(names, `${what}: ${label(e)}`).toContain(named);
          expect(e.message, `${what}: ${label(e)}`).toContain(`${named}`);
          expect(e.message, `${what}: ${label(e)}`).toMatch(fix(f.kind));
          if (p.includes('out-link') && f.kind === 'file') expect(e.message).toContain(`(really ${open}`);
        }
      }
      expect(calls).toBeGreaterThan(local ? 150 : 250);
      // The NovaFile's own paths go through the same policy (the API picks a project under a root).
      const up = await engine.invoke('novafile.up', { cwd: join(user.home, 'proj'), text: `[container.hostile]\ncapsule = "./rootfs"\nvolumes = ["${open}:/data"]\n` }, { remote: true }).catch((e: Error) => e);
      expect(JSON.stringify(up)).toMatch(/spec\.volumes\[0\]: bind mount source .* is outside the folders Nova may use/);
      // A root-widening preference cannot be set over the API.
      await expect(engine.invoke('prefs.set', { key: 'storagePools', value: [{ name: 'all', path: '/' }] }, { remote: true })).rejects.toMatchObject({ code: 'PERMISSION', details: { field: 'key' } });
      await expect(engine.invoke('prefs.set', { key: 'allowedRoots', value: ['/'] }, { remote: true })).rejects.toMatchObject({ code: 'PERMISSION', details: { field: 'key' } });
      // Nothing written: the open folder is empty, no VM, capsule, image or pool was recorded.
      expect(readdirSync(open)).toEqual([]);
      expect(((await engine.invoke('vm.list', {})) as { items: { name: string }[] }).items.map((v) => v.name)).not.toContain('hostile');
      expect(((await engine.invoke('capsule.list', {})) as { items: { name: string }[] }).items.map((v) => v.name)).not.toContain('hostile');
      expect(((await engine.invoke('storage.pools', {})) as { pools: { name: string }[] }).pools.map((v) => v.name)).not.toContain('hostile');
      expect(((await engine.invoke('prefs.get', {})) as { storagePools: unknown[]; allowedRoots: unknown[] })).toMatchObject({ storagePools: [], allowedRoots: [] });
    }, 120_000);
  }
});

// Cluster mode on real components (issue #23): three hosts, each a network namespace with its
// own NOVA_HOME, a real `nova serve` run as an ordinary user, and the etcd member that engine
// starts (mTLS from the cluster CA init made). One lab for the whole file.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClusterStatus, ClusterUpResult, Placement } from '../../shared/contract/cluster.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { ClusterLab, RpcError } from '../../test/cluster-lab.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, missing } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Running copies on the whole machine (every lab host is on it): processes whose argv passes
 * `match`, not counting one whose parent matches too — a fork before its exec (the shell's loop
 * starting `sleep`) or QEMU's -daemonize parent waiting for its child are the same copy.
 */
function copiesWhere(match: (argv: string[], pid: number) => boolean): number {
  const found = new Map<number, number>();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!match(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'), Number(p))) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      found.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  return [...found.values()].filter((ppid) => !found.has(ppid)).length;
}

/** Does the process have `file` open? */
function holds(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Copies whose argv contains `marker` as one argument. */
const copiesOf = (marker: string) => copiesWhere((argv) => argv.includes(marker));

/** Counts copies every 50 ms until stopped; `most` is the largest count seen. */
function sampleCopies(marker: string | (() => number)): { readonly most: number; stop: () => number } {
  const count = typeof marker === 'string' ? () => copiesOf(marker) : marker;
  let most = count();
  const t = setInterval(() => (most = Math.max(most, count())), 50);
  return {
    get most() {
      return most;
    },
    stop: () => {
      clearInterval(t);
      return (most = Math.max(most, count()));
    },
  };
}

describeHost('cluster mode: 3 hosts, etcd members, leases, CAS placement, HA failover', { root: true, tools: ['etcd', 'openssl', 'setpriv', 'crun', 'newuidmap'] }, () => {
  let lab: ClusterLab;
  const webMarker = () => `nvc-web-${lab.id}`;
  const status = (h: string) => lab.call<ClusterStatus>(h, 'cluster.status');
  // A busybox image on every host, imported once for the tests that run capsules.
  let image: Promise<void> | undefined;
  const imported = () =>
    (image ??= (async () => {
      const img = join(lab.dir, 'img');
      mkdirSync(img);
      const rootfs = busyboxRootfs(img);
      execFileSync('chown', ['-R', `${lab.user.uid}:${lab.user.gid}`, img]);
      for (const h of ['h1', 'h2', 'h3']) await lab.call(h, 'image.import', { source: rootfs, name: 'local/ncl:1' }, 120_000);
    })());

  beforeAll(async () => {
    lab = new ClusterLab();
    lab.addHost('h1', 1);
    lab.addHost('h2', 2);
    lab.addHost('h3', 3);
    await Promise.all(['h1', 'h2', 'h3'].map((h) => lab.startServe(h)));
  }, 180_000);
  afterAll(() => lab?.cleanup());

  it('init, tokens from the init host and from a joined member, join: three members, every host alive with its capacity; leave, and a token works once', async () => {
    const s1 = await lab.call<ClusterStatus>('h1', 'cluster.init', { name: 'h1', cluster: 'lab', address: lab.host('h1').address, allocatable: { memory: '2Gi', cpus: 4 } });
    expect(s1).toMatchObject({ joined: true, cluster: 'lab', name: 'h1', mode: 'managed' });
    expect(s1.memberPid).toBeGreaterThan(0);
    const tokens: Record<string, string> = {};
    // h3's token comes from h2, a member that joined (every member holds the CA key).
    for (const [h, from, labels] of [['h2', 'h1', {}], ['h3', 'h2', { gpu: 'rtx-4090' }]] as const) {
      tokens[h] = (await lab.call<{ token: string }>(from, 'cluster.token', { name: h, address: lab.host(h).address })).token;
      await lab.call(h, 'cluster.join', { token: tokens[h], labels, allocatable: { memory: '2Gi', cpus: 4 } });
    }
    const healthy = (on: string) =>
      waitFor(`every host alive with capacity, as ${on} sees it`, async () => {
        const x = await status(on);
        return x.state === 'healthy' && x.hosts.filter((h) => h.alive && h.capacity).length === 3 && x.members.length === 3 ? x : undefined;
      }, 30_000, 300);
    const s = await healthy('h2');
    expect(s.members.map((m) => [m.name, m.started]).sort()).toEqual([['h1', true], ['h2', true], ['h3', true]]);
    expect(s.leader).toMatch(/^h[123]$/);
    const h3 = s.hosts.find((h) => h.name === 'h3')!;
    expect(h3).toMatchObject({ address: lab.host('h3').address, labels: { gpu: 'rtx-4090' }, member: true });
    expect(h3.capacity).toMatchObject({ allocatableMemoryBytes: 2 * GiB, allocatableCpus: 4 });
    expect(h3.capacity!.memoryTotalBytes).toBeGreaterThan(0);

    // h3 leaves: its member and keys go at once (no TTL wait); its token does not let it back in.
    expect(await lab.call('h3', 'cluster.leave')).toMatchObject({ name: 'h3', left: true });
    const after = await status('h1');
    expect(after.members.map((m) => m.name).sort()).toEqual(['h1', 'h2']);
    expect(after.hosts.map((h) => h.name).sort()).toEqual(['h1', 'h2']);
    expect((await status('h3')).joined).toBe(false);
    const again = await lab.call('h3', 'cluster.join', { token: tokens.h3 }).catch((e: RpcError) => e);
    expect(again).toBeInstanceOf(RpcError);
    expect((again as RpcError).message).toMatch(/token: already used or expired/);
    expect((await status('h3')).joined).toBe(false);
    const fresh = (await lab.call<{ token: string }>('h2', 'cluster.token', { name: 'h3', address: lab.host('h3').address })).token;
    await lab.call('h3', 'cluster.join', { token: fresh, labels: { gpu: 'rtx-4090' }, allocatable: { memory: '2Gi', cpus: 4 } });
    await healthy('h3');
  }, 120_000);

  it('20 items of 512 MiB placed at once from three hosts onto 3 × 2 GiB: 12 placed, none overbooked, the rest refused with reasons', async () => {
    const hosts = ['h1', 'h2', 'h3'];
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => lab.call<Placement>(hosts[i % 3]!, 'cluster.place', { kind: 'capsule', name: `c${i}`, memory: '512Mi', cpus: 1 })));
    const placed = results.filter((r): r is PromiseFulfilledResult<Placement> => r.status === 'fulfilled').map((r) => r.value);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
    expect(placed).toHaveLength(12);
    expect(refused).toHaveLength(8);
    for (const m of refused) expect(m).toMatch(/no host can take capsule\/c\d+ \(512 MiB, 1 CPUs\): h1: 0 B and \d CPUs free of 2\.0 GiB\/4; h2: .*; h3: /);
    const s = await status('h1');
    for (const h of s.hosts) {
      expect(h.bookedMemoryBytes).toBeLessThanOrEqual(2 * GiB);
      expect(h.bookedCpus).toBeLessThanOrEqual(4);
    }
    const items = (await lab.call<{ items: Placement[] }>('h2', 'cluster.items')).items;
    expect(items).toHaveLength(12);
    for (const h of hosts) expect(items.filter((i) => i.host === h).reduce((a, i) => a + i.memoryBytes, 0)).toBe(4 * 512 * MiB);
    expect(items[0]!.reason).toMatch(/^spread: the host with the most free memory \(.* free before; \d of 3 hosts fit\)$/);
    // Labels and a pinned host: the plan says where and why.
    for (const i of items) await lab.call('h1', 'cluster.release', { kind: i.kind, name: i.name });
    const gpu = await lab.call<Placement>('h1', 'cluster.place', { kind: 'vm', name: 'g1', memory: '1Gi', require: { gpu: 'rtx-4090' }, dryRun: true });
    expect(gpu).toMatchObject({ host: 'h3' });
    expect(gpu.reason).toMatch(/has gpu=rtx-4090/);
    const pinned = await lab.call<Placement>('h3', 'cluster.place', { kind: 'vm', name: 'p1', memory: '1Gi', host: 'h2', dryRun: true });
    expect(pinned.reason).toMatch(/^pinned to h2/);
    expect((await lab.call<{ items: Placement[] }>('h1', 'cluster.items')).items).toEqual([]);
  }, 120_000);

  it('an HA capsule: runs on its host; that host killed → its lease expires, it runs on another within 30 s, one copy at a time; the host returns and does not start it again', async () => {
    await imported();
    // The marker is the shell's $0: one process per running copy, whichever host runs it.
    const spec = { capsule: 'local/ncl:1', command: ['sh', '-c', 'while true; do sleep 1; done', webMarker()], network: 'none' };
    const p = await lab.call<Placement>('h2', 'cluster.place', { kind: 'capsule', name: 'web', memory: '256Mi', ha: true, spec });
    const owner = p.host;
    const running = async (h: string) => (await lab.call<{ items: { name: string; state: string }[] }>(h, 'capsule.list', { project: 'cluster' })).items.find((c) => c.name === 'web')?.state === 'running';
    await waitFor(`web running on ${owner}`, () => running(owner), 60_000, 300);
    expect(copiesOf(webMarker())).toBe(1);
    const survivors = ['h1', 'h2', 'h3'].filter((h) => h !== owner);

    const t0 = Date.now();
    const copies = sampleCopies(webMarker());
    lab.kill(owner);
    const where = await waitFor('web running on a survivor', async () => {
      for (const h of survivors) if (await running(h).catch(() => false)) return h;
      return undefined;
    }, 45_000, 250);
    const failoverMs = Date.now() - t0;
    expect(failoverMs).toBeLessThan(30_000);
    expect(copies.stop(), 'copies of web running at once during the failover').toBe(1);
    const s = await status(where);
    expect(s.hosts.find((h) => h.name === owner)?.alive).toBe(false);
    expect(s.state).toBe('healthy');
    const moved = (await lab.call<{ items: Placement[] }>(where, 'cluster.items')).items.find((i) => i.name === 'web')!;
    expect(moved).toMatchObject({ host: where, moves: 1 });
    expect(moved.reason).toMatch(new RegExp(`^moved from ${owner} \\(its lease expired\\)`));
    // Only one survivor runs it.
    expect(await running(survivors.find((h) => h !== where)!)).toBe(false);

    // The host comes back: its engine restarts its etcd member, sees web is owned elsewhere and removes its copy.
    await lab.startServe(owner);
    await waitFor(`${owner} alive again`, async () => (await status(where)).hosts.find((h) => h.name === owner)?.alive, 60_000, 500);
    await waitFor(`${owner}'s stale copy of web removed`, async () => {
      const copy = (await lab.call<{ items: { name: string; state: string }[] }>(owner, 'capsule.list', { project: 'cluster' })).items.find((c) => c.name === 'web');
      expect(copy?.state).not.toBe('running');
      return !copy;
    }, 30_000, 200);
    expect(await running(where)).toBe(true);
    console.log(`failover: ${failoverMs} ms`);
  }, 300_000);

  it('a partitioned host fences itself: its HA capsule is killed there, runs on another host once; healed, its copy is removed', async () => {
    const copy = async (h: string) => (await lab.call<{ items: { name: string; state: string }[] }>(h, 'capsule.list', { project: 'cluster' })).items.find((c) => c.name === 'web');
    const before = (await lab.call<{ items: Placement[] }>('h1', 'cluster.items')).items.find((i) => i.name === 'web')!;
    const owner = before.host;
    const others = ['h1', 'h2', 'h3'].filter((h) => h !== owner);
    await waitFor(`web running on ${owner}`, async () => (await copy(owner))?.state === 'running', 30_000, 250);
    expect(copiesOf(webMarker())).toBe(1);
    // The cut-off host's renewals fail while it keeps running: it must kill its copy before a survivor starts one.
    const copies = sampleCopies(webMarker());
    lab.setLink(owner, false);
    let where: string;
    try {
      // Its API is a local socket: asked through it, the cut-off host says what it did itself.
      await waitFor(`${owner} stops its own copy (lease lost)`, async () => (await copy(owner))?.state !== 'running', 30_000, 250);
      where = await waitFor('web running on another host', async () => {
        for (const h of others) if ((await copy(h).catch(() => undefined))?.state === 'running') return h;
        return undefined;
      }, 30_000, 250);
    } finally {
      lab.setLink(owner, true);
    }
    const after = (await lab.call<{ items: Placement[] }>(where, 'cluster.items')).items.find((i) => i.name === 'web')!;
    expect(after).toMatchObject({ host: where, moves: before.moves + 1 });
    await waitFor(`${owner}'s fenced copy removed once healed`, async () => !(await copy(owner)), 30_000, 250);
    // A survivor may fence itself too while etcd elects a leader (the cut-off host may have led):
    // it starts web again at its next good renewal.
    await waitFor(`web running on ${where}`, async () => (await copy(where))?.state === 'running', 30_000, 250);
    const fencedThere = (await status(where)).events.filter((e) => /fenced/.test(e));
    if (fencedThere.length) console.log(`${where} fenced itself meanwhile:\n${fencedThere.join('\n')}`);
    expect(copies.stop(), 'copies of web running at once through the partition and the heal').toBe(1);
    expect((await status(owner)).events.some((e) => /fenced capsule\/web: lease not renewed for 3 s/.test(e))).toBe(true);
    expect(await copy(others.find((h) => h !== where)!)).toBeUndefined();
  }, 120_000);

  it.skipIf(missing({ tools: ['qemu-system-x86_64', 'qemu-img'] }))('an HA VM (ha = true in a NovaFile, nova up --cluster): refused without shared storage or with a disk outside it; its host cut off → it kills its QEMU, another host runs the VM from the same disk within 60 s, one QEMU at a time; healed, the host drops its copy', async () => {
    const guest = await ensureTestGuest();
    const shared = join(lab.dir, 'shared');
    mkdirSync(shared);
    copyFileSync(guest.kernel, join(shared, 'vmlinuz'));
    copyFileSync(guest.initrd, join(shared, 'initrd'));
    execFileSync('chown', ['-R', `${lab.user.uid}:${lab.user.gid}`, shared]);
    const disk = join(shared, 'havm.qcow2');
    const vm = { kernel: join(shared, 'vmlinuz'), initrd: join(shared, 'initrd'), cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: disk, size: '16Mi' }] };
    const place = (v: typeof vm) => lab.call<Placement>('h1', 'cluster.place', { kind: 'vm', name: 'havm', memory: '128Mi', cpus: 1, ha: true, vm: v });
    await expect(place(vm)).rejects.toThrow(/an HA VM needs storage every host reaches: declare .*--shared-storage/);
    expect(await lab.call('h2', 'cluster.set', { sharedStorage: shared })).toEqual({ sharedStorage: shared });
    await expect(place({ ...vm, disks: [{ path: join(lab.dir, 'elsewhere.qcow2'), size: '16Mi' }] })).rejects.toThrow(/vm\.disks\[0\]\.path: \S+ is not in the shared storage/);
    await waitFor('every host sees the shared storage', async () => (await status('h1')).hosts.filter((h) => h.capacity?.sharedStorage === shared).length === 3, 40_000, 500);
    // The accepted one comes from a NovaFile (`nova up --cluster`): [vm] with ha = true.
    const toml = `project = "havm"\n[vm.havm]\nkernel = ${JSON.stringify(vm.kernel)}\ninitrd = ${JSON.stringify(vm.initrd)}\ncmdline = ${JSON.stringify(vm.cmdline)}\nmemory = "128Mi"\ncpu = 1\ndisks = [{ path = ${JSON.stringify(disk)}, size = "16Mi" }]\nrestart = "always"\nha = true\n`;
    const elsewhere = toml.replace(JSON.stringify(disk), JSON.stringify(join(lab.dir, 'elsewhere.qcow2')));
    await expect(lab.call('h2', 'cluster.plan', { text: elsewhere, cwd: lab.dir, path: join(lab.dir, 'NovaFile') })).rejects.toThrow(/vm\.havm: vm\.disks\[0\]\.path: \S+ is not in the shared storage/);
    const up = await lab.call<ClusterUpResult>('h1', 'cluster.up', { text: toml, cwd: lab.dir, path: join(lab.dir, 'NovaFile') }, 120_000);
    expect(up.ok, up.message).toBe(true);
    const owner = (await lab.call<{ items: Placement[] }>('h2', 'cluster.items')).items.find((i) => i.name === 'havm' && i.kind === 'vm')!.host;
    const state = async (h: string) => (await lab.call<{ items: { name: string; state: string }[] }>(h, 'vm.list', { project: 'cluster' })).items.find((v) => v.name === 'havm')?.state;
    // QEMU processes with the shared disk open, on the whole machine (all hosts are on it).
    // QEMUs with the shared disk open, on the whole machine (all hosts are on it). Holding it open
    // is what counts: -daemonize keeps the starting parent (same argv, the disk not opened) until
    // its grandchild is ready.
    const qemus = () => copiesWhere((argv, pid) => /(^|\/)qemu-system/.test(argv[0] ?? '') && argv.some((a) => a.includes(disk)) && holds(pid, disk));
    await waitFor(`havm running on ${owner}`, async () => (await state(owner)) === 'running', 120_000, 500);
    expect(qemus()).toBe(1);

    // The owner stays alive but cannot renew (its link is down): it must kill its QEMU before a survivor starts one.
    const t0 = Date.now();
    const sampled = sampleCopies(qemus);
    lab.setLink(owner, false);
    const survivors = ['h1', 'h2', 'h3'].filter((h) => h !== owner);
    let where: string;
    let failoverMs: number;
    try {
      where = await waitFor('havm running on a survivor', async () => {
        for (const h of survivors) if ((await state(h).catch(() => undefined)) === 'running') return h;
        return undefined;
      }, 90_000, 250);
      failoverMs = Date.now() - t0;
      expect((await status(owner)).events.some((e) => /fenced vm\/havm: lease not renewed for 3 s/.test(e))).toBe(true);
    } finally {
      lab.setLink(owner, true);
    }
    expect(failoverMs).toBeLessThan(60_000);
    expect(JSON.stringify(await lab.call(where, 'vm.inspect', { name: 'havm' }))).toContain(disk);
    const moved = (await lab.call<{ items: Placement[] }>(where, 'cluster.items')).items.find((i) => i.name === 'havm')!;
    expect(moved).toMatchObject({ host: where, moves: 1 });

    await waitFor(`${owner}'s stale definition of havm removed once healed`, async () => (await state(owner)) === undefined, 60_000, 500);
    expect(sampled.stop(), 'QEMUs holding the disk at once through the failover and the heal').toBe(1);
    expect(await state(where)).toBe('running');
    expect(qemus()).toBe(1);
    expect((await lab.call<ClusterUpResult>('h3', 'cluster.down', { project: 'havm' }, 120_000)).ok).toBe(true);
    await waitFor('released by down --cluster: the VM removed from its host, its disk kept', async () => (await state(where)) === undefined && qemus() === 0, 60_000, 500);
    expect(existsSync(disk)).toBe(true);
    console.log(`vm failover: ${failoverMs} ms`);
  }, 400_000);

  it('nova up --cluster: the etcd leader killed during it → it completes or fails cleanly and a re-run converges; twice → no changes; drift on one host reported and fixed; down cleans every host', async () => {
    const hosts = ['h1', 'h2', 'h3'];
    await imported();
    const box = (n: string, extra = '') => `[container.${n}]\ncapsule = "local/ncl:1"\ncommand = ["sh", "-c", "while true; do sleep 1; done"]\nnetwork = "none"\n${extra}`;
    const text = `project = "shop"\n[placement]\nstrategy = "spread"\n${box('s0', 'host = "h1"\n')}${[1, 2, 3, 4, 5].map((i) => box(`s${i}`)).join('')}`;
    const src = { text, cwd: lab.dir, path: join(lab.dir, 'NovaFile') };
    const plan = await lab.call<{ rows: { name: string; host?: string; action: string; reason: string }[] }>('h2', 'cluster.plan', src);
    expect(plan.rows.map((r) => r.action)).toEqual(Array(6).fill('place'));
    expect(plan.rows[0]).toMatchObject({ name: 's0', host: 'h1', reason: expect.stringMatching(/^pinned to h1/) });
    const shop = async (h: string) => (await lab.call<{ items: { name: string; state: string }[] }>(h, 'capsule.list', { project: 'shop' })).items;

    const s = await status('h1');
    const leaderPid = (await status(s.leader!)).memberPid!;
    const first = lab.call<ClusterUpResult>('h1', 'cluster.up', src, 120_000).catch((e: Error) => e);
    await waitFor('the first placement', async () => (await lab.call<{ items: Placement[] }>('h3', 'cluster.items')).items.some((i) => i.project === 'shop'), 30_000, 20);
    process.kill(leaderPid, 'SIGKILL');
    const r1 = await first;
    if (r1 instanceof Error) expect(r1.message).toMatch(/etcd|did not report/);
    else expect(r1.ok, JSON.stringify(r1.hosts)).toBe(true);
    const r2 = await lab.call<ClusterUpResult>('h1', 'cluster.up', src, 120_000);
    expect(r2.ok).toBe(true);
    expect(r2.hosts.map((h) => h.host)).toEqual(hosts);
    // Every item once, running, on the host its placement names; no host overbooked.
    const items = (await lab.call<{ items: Placement[] }>('h2', 'cluster.items')).items.filter((i) => i.project === 'shop');
    expect(items.map((i) => i.name).sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    const where = Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, await shop(h)] as const)));
    for (const i of items) {
      expect(where[i.host]!.find((c) => c.name === i.name)?.state).toBe('running');
      for (const h of hosts.filter((x) => x !== i.host)) expect(where[h]!.find((c) => c.name === i.name)).toBeUndefined();
    }
    for (const h of (await status('h3')).hosts) expect(h.bookedMemoryBytes).toBeLessThanOrEqual(2 * GiB);

    const r3 = await lab.call<ClusterUpResult>('h2', 'cluster.up', src, 120_000);
    expect(r3).toMatchObject({ ok: true, message: 'no changes on any host' });
    // Every agent hears of the request on its etcd watch at once (without it: its next read, 30 s).
    expect(r3.durationMs).toBeLessThan(15_000);
    expect(r3.rows.map((r) => r.action)).toEqual(Array(6).fill('keep'));
    // Drift: a capsule stopped by hand on its host is reported for that host and started again.
    const victim = items.find((i) => i.name === 's3')!;
    await lab.call(victim.host, 'capsule.stop', { name: 's3' });
    const r4 = await lab.call<ClusterUpResult>('h3', 'cluster.up', src, 120_000);
    expect(r4.ok).toBe(true);
    const report = r4.hosts.find((h) => h.host === victim.host)!;
    expect(report.changes).toEqual([expect.objectContaining({ name: 's3', action: 'start', drift: true })]);
    expect(r4.hosts.filter((h) => h.host !== victim.host).every((h) => h.changes.length === 0)).toBe(true);
    expect((await shop(victim.host)).find((c) => c.name === 's3')?.state).toBe('running');

    const down = await lab.call<ClusterUpResult>('h1', 'cluster.down', { project: 'shop' }, 120_000);
    expect(down.ok).toBe(true);
    for (const h of hosts) expect(await shop(h)).toEqual([]);
    expect((await lab.call<{ items: Placement[] }>('h1', 'cluster.items')).items.filter((i) => i.project === 'shop')).toEqual([]);
  }, 240_000);

  it('etcd without quorum: the cluster says degraded within its deadlines and the host keeps working', async () => {
    const [a, b] = ['h1', 'h2'];
    lab.setLink(a, false);
    lab.setLink(b, false);
    try {
      const t = Date.now();
      const s = await lab.call<ClusterStatus>('h3', 'cluster.status');
      expect(Date.now() - t).toBeLessThan(8000);
      expect(s.state).toBe('degraded');
      expect(s.reason).toMatch(/etcd did not answer within|lease is not held/);
      const t2 = Date.now();
      await lab.call('h3', 'capsule.list', {});
      expect(Date.now() - t2).toBeLessThan(2000);
    } finally {
      lab.setLink(a, true);
      lab.setLink(b, true);
    }
    await waitFor('healthy again', async () => (await status('h3')).state === 'healthy', 30_000, 500);
  }, 90_000);

  it('certificates: rotate-certs gives a host a new one its etcd member serves without a restart; one with < 30 days left is renewed by the agent', async () => {
    const pkiOf = (h: string) => join(lab.host(h).home, 'config', 'cluster', 'pki');
    const norm = (serial: string) => serial.replace(/^serial=/, '').trim().toUpperCase().replace(/^0+/, '');
    // The certificate h2's member presents on a new TLS connection, as another host would see it.
    const served = (h: string) => {
      const x = lab.host(h);
      const p = pkiOf(h);
      const hello = execFileSync('nsenter', [`--net=/run/netns/${x.ns}`, '--', 'openssl', 's_client', '-connect', `${x.address}:2379`, '-CAfile', join(p, 'ca.crt'), '-cert', join(p, 'host.crt'), '-key', join(p, 'host.key')], { input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
      return norm(execFileSync('openssl', ['x509', '-noout', '-serial'], { input: hello, encoding: 'utf8' }));
    };
    const pid = (await status('h2')).memberPid;
    const before = served('h2');
    const r = await lab.call<{ serial: string; notAfter: number; previous: { serial: string } }>('h2', 'cluster.rotateCerts', { days: 1 });
    expect(norm(r.previous.serial)).toBe(before);
    expect(norm(r.serial)).not.toBe(before);
    expect(r.notAfter - Date.now()).toBeLessThan(86_400_000 + 60_000);
    expect(served('h2')).toBe(norm(r.serial));
    // Less than 30 days left: h2's agent renews it by itself (a year), still without restarting etcd.
    const renewed = await waitFor('the agent renews the 1-day certificate', async () => {
      const x = new X509Certificate(readFileSync(join(pkiOf('h2'), 'host.crt')));
      return Date.parse(x.validTo) - Date.now() > 300 * 86_400_000 ? norm(x.serialNumber) : undefined;
    }, 40_000, 500);
    expect(renewed).not.toBe(norm(r.serial));
    await waitFor('h2 serves the renewed certificate', () => served('h2') === renewed, 10_000, 200);
    const s = await status('h2');
    expect(s).toMatchObject({ state: 'healthy', memberPid: pid });
    expect(s.events.some((e) => /renewed this host's certificate/.test(e))).toBe(true);
    // h2's engine talks to etcd with the new pair: a placement from h2 and one from h1 both work.
    await lab.call('h2', 'cluster.place', { kind: 'capsule', name: 'cert1', memory: '1Mi', cpus: 0 });
    expect((await lab.call<{ released: boolean }>('h1', 'cluster.release', { kind: 'capsule', name: 'cert1' })).released).toBe(true);
  }, 90_000);
});

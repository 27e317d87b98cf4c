// The NovaFile against the real backends: a TCG VM, a crun capsule pulled from a loopback
// registry and a nat switch, all inside a network namespace this test creates, driven through
// the `nova` CLI as users run it (real processes, so kill -9 and concurrent runs are real too).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectPlan, UpResult } from '../../shared/contract/novafile-apply.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { missing, tempHome } from '../../test/host.js';
import { quicDriver } from '../network/overlay/quic/driver.js';
import { createRunner } from '../sys/runner.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { createNetns } from './testing/netns.js';
import type { Netns } from './testing/netns.js';

const TOOLS = ['qemu-system-x86_64', 'qemu-img', 'crun', 'umoci', 'skopeo', 'docker-registry', 'curl', 'ip', 'nft', 'dnsmasq', 'nsenter', 'cpio'];

const reason = missing({ root: true, tools: TOOLS });

const hex = randomBytes(3).toString('hex');
const NET = `nf${hex}`;
const VM = `nfvm${hex}`;
const CAP = `nfc${hex}`;
const PROJECT = `nfit${hex}`;
const SECRET = `s3cr3t-${hex}-value`;
const SUBNET = 200 + (parseInt(hex.slice(0, 2), 16) % 50);

describe.skipIf(reason !== undefined)(reason ? `NovaFile on real backends — skipped: ${reason}` : 'NovaFile on real backends (TCG VM, crun capsule, nat switch in a netns)', () => {
  let home: TempHome;
  let ns: Netns;
  let dir: string;
  let image: string;
  let kernel: string;
  let initrd: string;
  const outputs: string[] = [];

  const nova = async (args: string[], timeoutMs?: number) => {
    const r = await ns.nova(args, { cwd: dir, ...(timeoutMs ? { timeoutMs } : {}) });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const planJson = async () => {
    const r = await nova(['--json', 'plan']);
    expect(r.stderr, r.stderr).not.toMatch(/INTERNAL/);
    return JSON.parse(r.stdout) as ProjectPlan;
  };
  const upJson = async (extra: string[] = []) => {
    const r = await nova(['--json', 'up', ...extra], 300_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as UpResult;
  };
  const actions = (p: ProjectPlan) => p.changes.filter((c) => c.action !== 'noop' || c.blocked).map((c) => `${c.action} ${c.kind}/${c.name}`);

  const novafile = (o: { memory?: string; extra?: string } = {}) => `project = "${PROJECT}"

[network.${NET}]
profile = "nat"
subnet = "10.213.${SUBNET}.1/24"

[vm.${VM}]
kernel = "${kernel}"
initrd = "${initrd}"
cmdline = "${TEST_GUEST_CMDLINE}"
cpu = 1
memory = "${o.memory ?? '256Mi'}"
network = "${NET}"

[container.${CAP}]
capsule = "${image}"
command = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
network = "${NET}"
env.API_KEY = "${SECRET}"
${o.extra ?? ''}`;

  beforeAll(async () => {
    home = await tempHome('nova-nfit-');
    dir = join(home.dir, 'project');
    await mkdir(dir, { recursive: true });
    ({ kernel, initrd } = await ensureTestGuest());
    ns = await createNetns(home.env);
    // A real registry on the namespace's loopback, with a busybox image pushed to it.
    const port = 5000 + (parseInt(hex, 16) % 1000);
    const cfg = join(home.dir, 'registry.yml');
    writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(home.dir, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    ns.spawn(['docker-registry', 'serve', cfg]);
    await waitFor('the registry', () => ns.exec(['curl', '-sf', `http://127.0.0.1:${port}/v2/`]).then(() => true), 20_000);
    const rootfs = busyboxRootfs(home.dir);
    const layout = join(home.dir, 'oci');
    execFileSync('umoci', ['init', '--layout', layout]);
    execFileSync('umoci', ['new', '--image', `${layout}:t`]);
    execFileSync('umoci', ['insert', '--image', `${layout}:t`, rootfs, '/']);
    execFileSync('umoci', ['config', '--image', `${layout}:t`, '--config.cmd', 'sh']);
    await ns.exec(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:t`, `docker://127.0.0.1:${port}/nova-test/busybox:1`]);
    image = `127.0.0.1:${port}/nova-test/busybox:1`;
    writeFileSync(join(dir, 'NovaFile'), novafile());
  }, 300_000);

  afterAll(async () => {
    if (ns) {
      await nova(['down', '--volumes'], 120_000).catch(() => undefined);
      await ns.cleanup();
    }
    // Overlay mounts a failed run could leave under our home (ours only).
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => home && m.startsWith(home.dir));
    for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
    await home?.cleanup();
  }, 180_000);

  it('plans, applies, says no changes, updates on a memory edit, and survives drift', async () => {
    const first = await planJson();
    expect(actions(first)).toEqual([`create network/${NET}`, `create image/${image}`, `create vm/${VM}`, `create capsule/${CAP}`]);
    expect(first.errors).toEqual([]);

    const up = await upJson();
    expect(up.ok).toBe(true);
    expect(up.applied.map((a) => `${a.status} ${a.kind}/${a.name}`).sort()).toEqual([`done capsule/${CAP}`, `done image/${image}`, `done network/${NET}`, `done vm/${VM}`]);
    const ls = JSON.parse((await nova(['--json', 'ls', '--project', PROJECT])).stdout) as { items: { kind: string; name: string; state: string }[] };
    expect(ls.items.map((i) => `${i.kind}/${i.name} ${i.state}`).sort()).toEqual([`capsule/${CAP} running`, `network/${NET} Active`, `vm/${VM} running`]);
    // Really on the switch: the guest got a DHCP lease from the switch's dnsmasq through its TAP.
    await waitFor('the guest to get a lease on the switch', async () => {
      const logs = await nova(['--json', 'vm', 'logs', VM]);
      return logs.stdout.includes(`nova-net: eth0 10.213.${SUBNET}.`);
    }, 90_000, 1000);

    const again = await planJson();
    expect(again.converged).toBe(true);
    const human = await nova(['up']);
    expect(human.stdout).toMatch(/^No changes — project /);

    writeFileSync(join(dir, 'NovaFile'), novafile({ memory: '320Mi' }));
    const edited = await planJson();
    const vm = edited.changes.find((c) => c.name === VM)!;
    expect(['update', 'replace']).toContain(vm.action);
    expect(vm.reasons[0]).toMatch(/^memory: 256 MiB → 320 MiB/);
    expect(actions(edited)).toEqual([`${vm.action} vm/${VM}`]);
    expect((await upJson()).ok).toBe(true);
    const inspected = JSON.parse((await nova(['--json', 'vm', 'inspect', VM])).stdout) as { spec: { memory: number }; state: string };
    expect(inspected).toMatchObject({ spec: { memory: 320 * 1024 ** 2 }, state: 'running' });
    expect((await planJson()).converged).toBe(true);

    // Drift: a VM stopped by hand, a switch removed by hand.
    expect((await nova(['vm', 'stop', VM, '--force'])).code).toBe(0);
    const stopped = await planJson();
    expect(stopped.changes.find((c) => c.name === VM)).toMatchObject({ action: 'start', drift: true });
    await upJson();
    const bridge = (JSON.parse(await ns.ip(['-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string }[]).map((l) => l.ifname);
    expect(bridge.length).toBeGreaterThan(0);
    for (const b of bridge) await ns.ip(['link', 'del', b]);
    const pidBefore = (JSON.parse((await nova(['--json', 'vm', 'inspect', VM])).stdout) as { pid?: number }).pid;
    const gone = await planJson();
    expect(gone.changes.find((c) => c.name === NET)).toMatchObject({ action: 'update', drift: true, fields: ['state'] });
    expect(actions(gone)).toEqual([`update network/${NET}`]);
    await upJson();
    expect((await planJson()).converged).toBe(true);
    // Repaired in place: the VM kept running (same QEMU process) and its TAP is back on the bridge.
    expect((JSON.parse((await nova(['--json', 'vm', 'inspect', VM])).stdout) as { pid?: number }).pid).toBe(pidBefore);
    const ports = JSON.parse(await ns.ip(['-j', 'link', 'show', 'master', NET])) as unknown[];
    expect(ports.length).toBeGreaterThanOrEqual(2);
  }, 600_000);

  it('two concurrent `nova up`: one waits on the project lock, both end consistent', async () => {
    writeFileSync(join(dir, 'NovaFile'), novafile({ memory: '320Mi', extra: `\n[container.${CAP}b]\ncapsule = "${image}"\ncommand = ["sleep", "3600"]\nnetwork = "${NET}"\n` }));
    const [a, b] = await Promise.all([nova(['up'], 300_000), nova(['up'], 300_000)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const texts = [a, b].map((r) => r.stdout + r.stderr);
    expect(texts.filter((t) => t.includes('holds the project lock'))).toHaveLength(1);
    expect(texts.filter((t) => /No changes/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => new RegExp(`create capsule ${CAP}b`).test(t))).toHaveLength(1);
    expect((await planJson()).converged).toBe(true);
  }, 600_000);

  it('kill -9 of `nova up` mid-way, rerun → converged', async () => {
    const extra = [1, 2, 3].map((n) => `\n[container.${CAP}k${n}]\ncapsule = "${image}"\ncommand = ["sleep", "3600"]\nnetwork = "${NET}"\n`).join('');
    writeFileSync(join(dir, 'NovaFile'), novafile({ memory: '320Mi', extra: `${extra}\n[container.${CAP}b]\ncapsule = "${image}"\ncommand = ["sleep", "3600"]\nnetwork = "${NET}"\n` }));
    const child = ns.spawnNova(['up', '--parallel', '1'], { cwd: dir });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor('the first item to finish', () => err.includes('✓'), 120_000, 20);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const after = await planJson();
    expect(after.interrupted).toMatch(/did not finish/);
    expect(after.converged).toBe(false);
    const rerun = await upJson();
    expect(rerun.ok).toBe(true);
    expect((await planJson()).converged).toBe(true);
  }, 600_000);

  it('never prints env values, and every file holding them is mode 0600', async () => {
    expect(outputs.join('\n')).not.toContain(SECRET);
    const holders: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory() && !e.isSymbolicLink()) {
          if (!p.includes('/rootfs') && !p.includes('/merged') && !p.includes('/registry') && !p.includes('/oci')) walk(p);
        } else if (e.isFile() && statSync(p).size < 4 << 20 && readFileSync(p).includes(SECRET)) holders.push(p);
      }
    };
    walk(home.dir);
    expect(holders.filter((p) => !p.endsWith('/NovaFile'))).not.toEqual([]);
    const loose = holders.filter((p) => !p.endsWith('/NovaFile') && (statSync(p).mode & 0o077) !== 0);
    expect(loose).toEqual([]);
  });

  it('down removes everything the project made, and only that', async () => {
    const r = await nova(['down', '--volumes'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const ls = JSON.parse((await nova(['--json', 'ls', '--project', PROJECT])).stdout) as { items: unknown[] };
    expect(ls.items).toEqual([]);
    expect(JSON.parse(await ns.ip(['-j', 'link', 'show', 'type', 'bridge']))).toEqual([]);
    const leftovers = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(home.dir));
    expect(leftovers).toEqual([]);
    // Everything would be created again; only the pulled image stays in the store.
    expect((await planJson()).changes.filter((c) => c.kind !== 'image').map((c) => c.action)).toEqual(['create', 'create', 'create', 'create', 'create', 'create', 'create']);
  }, 300_000);

  it('the spec example (image pointed at a test disk) plans exactly the GPU host limit (and quic where nova-quic-tunnel is not built) and applies the rest with --partial', async () => {
    const spec = join(dir, 'spec');
    await mkdir(spec, { recursive: true });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(spec, 'win11.qcow2'), '64M']);
    await ns.ip(['link', 'add', 'enp6s0', 'type', 'veth', 'peer', 'name', 'enp6s0p']); // no dummy module here
    const example = readFileSync(join(import.meta.dirname, '__fixtures__', 'spec-example.toml'), 'utf8')
      .replace('/var/lib/nova/images/win11.qcow2', join(spec, 'win11.qcow2'))
      .replace('project = "dev-lab"', `project = "dev-lab-${hex}"`)
      .replace('"ubuntu:22.04"', `"${image}"`);
    writeFileSync(join(spec, 'NovaFile'), example);
    const plan = await ns.nova(['--json', 'plan'], { cwd: spec });
    const p = JSON.parse(plan.stdout) as ProjectPlan;
    const quicHere = (await quicDriver.support(createRunner().run)).ok;
    if (quicHere) await mkdir(join(spec, 'api')); // the capsule's volume source: it applies now
    expect(p.errors.map((e) => `${e.category} ${e.path}`)).toEqual(['host-limit vm.win11.gpu_passthrough', ...(quicHere ? [] : ['host-limit network.nova-net.driver'])]);
    expect(plan.code).toBe(1);
    const refused = await ns.nova(['up'], { cwd: spec });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(quicHere ? /nothing applied: 1 problem/ : /nothing applied: 2 problem/);
    const up = await ns.nova(['--json', 'up', '--partial'], { cwd: spec, timeoutMs: 300_000 });
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const r = JSON.parse(up.stdout) as UpResult;
    if (quicHere) {
      // driver = "quic" runs here (#18): the overlay, its capsule and the image apply; only the GPU VM is blocked.
      expect(r.applied.map((a) => `${a.status} ${a.action} ${a.kind}/${a.name}`)).toEqual(expect.arrayContaining(['done create network/bridge0', 'done create network/nova-net', 'done create capsule/api']));
      expect(r.plan.changes.filter((c) => c.blocked).map((c) => `${c.kind}/${c.name}`)).toEqual(['vm/win11']);
    } else {
      expect(r.applied.map((a) => `${a.status} ${a.action} ${a.kind}/${a.name}`)).toEqual(['done create network/bridge0']);
      expect(r.plan.changes.filter((c) => c.blocked).map((c) => `${c.kind}/${c.name}`).sort()).toEqual([`capsule/api`, `image/${image}`, 'network/nova-net', 'vm/win11']);
    }
    const enslaved = JSON.parse(await ns.ip(['-j', 'link', 'show', 'enp6s0'])) as { master?: string }[];
    expect(enslaved[0]?.master).toBeDefined();
    expect((await ns.nova(['down'], { cwd: spec, timeoutMs: 120_000 })).code).toBe(0);
    expect(outputs.join('\n') + up.stdout + plan.stdout).not.toContain('"secret"');
  }, 300_000);
});

// Cross-host live migration (#22): Nova's `vm.migrate.host` vs the raw QMP sequence doing the same
// work between the same two hosts in the same run. Hosts: this machine (a warm `nova serve` of an
// unprivileged user, the app's engine) and host B, a network namespace with its own sshd and its
// own `nova serve --socket` (bench/… uses src/test/ssh-lab.ts). Guest: the TCG test guest with
// 512 MiB of RAM and a 64 MiB qcow2 holding 32 MiB of data.
// - Nova: one call from "migrate" to "B owns it, A released it" (preflight, define + empty disks +
//   QEMU -incoming on B, the SSH forward, mirror, RAM, commit, release).
// - Raw: Nova's own QEMU argv for that guest (paths swapped), the same steps by hand: qemu-img create
//   + QEMU -incoming defer on B (as B's user, in B's namespace), nbd-server-start/block-export-add/
//   migrate-incoming on unix sockets, `ssh -N -L` with the same options, blockdev-mirror → READY →
//   migrate (pause-before-switchover) → cancel mirrors → continue → completed → quit A.
// Interleaved (ABBA). Goals (#22): total ≤ 1.1× raw; downtime ≤ 1.2× raw and < 500 ms.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { knownHostsFile } from '../src/core/hosts/store.js';
import { streamArgv } from '../src/core/hosts/ssh.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { QmpProtocol } from '../src/core/vm/qmp/protocol.js';
import { finishTarget, prepareTarget, runSource } from '../src/core/vm/xmigrate/sequence.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest.js';
import { SshLab } from '../src/test/ssh-lab.js';
import type { LabHost } from '../src/test/ssh-lab.js';
import { interleave, runsOr, spreadFields, spreadOf } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(5);

const waitFor = async (what: string, ok: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  for (let d = 10; !ok(); d = Math.min(d * 2, 100)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, d));
  }
};
const counters = (log: string) => (existsSync(log) ? (readFileSync(log, 'utf8').match(/nova-counter \d+/g) ?? []).length : 0);

export async function run(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0) throw new Error('migrate bench: needs root (network namespaces, sshd, test users)');
  const lab = new SshLab({ prefix: 'nhst', net: 115 });
  try {
    lab.setup();
    const b: LabHost = await lab.addHost('b');
    const add = await lab.nova(['host', 'add', 'b', b.url, '--fingerprint', lab.fingerprint(b)]);
    if (add.code !== 0) throw new Error(`host add: ${add.stderr}`);
    const g = await ensureTestGuest();
    const bootA = join(lab.localHome, 'boot');
    const poolB = join(b.novaHome, 'data', 'storage');
    const rawA = join(lab.localHome, 'raw');
    const rawB = join(b.dir, 'raw');
    for (const d of [bootA, poolB, rawA, rawB]) mkdirSync(d, { recursive: true });
    for (const f of [g.kernel, g.initrd]) for (const d of [bootA, poolB]) copyFileSync(f, join(d, f.split('/').pop()!));
    execFileSync('chown', ['-R', `${lab.local.uid}:${lab.local.gid}`, bootA, rawA]);
    execFileSync('chown', ['-R', `${lab.remote.uid}:${lab.remote.gid}`, join(b.novaHome, 'data'), rawB]);
    const local = await lab.serveLocal();
    const pathsA = resolvePaths({ NOVA_HOME: lab.localHome });
    const spec = (disk: string) => ({ kernel: join(bootA, 'vmlinuz'), initrd: join(bootA, 'initrd.gz'), cmdline: TEST_GUEST_CMDLINE, memory: '512Mi', cpu: 1, network: 'none', disks: [{ path: disk, size: '64Mi' }] });
    const fill = (disk: string, owner: { uid: number; gid: number }) => {
      execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 16M', '-c', 'write -P 0x5a 40M 16M', disk], { stdio: 'ignore' });
      chownSync(disk, owner.uid, owner.gid);
    };
    let argv: string[] = [];
    let n = 0;
    const downtime = { nova: [] as number[], raw: [] as number[] };

    const novaRun = async (): Promise<number> => {
      const name = `m${n++}`;
      const disk = join(lab.localHome, `${name}.qcow2`);
      await local.call('vm.create', { name, spec: spec(disk) });
      fill(disk, lab.local);
      await local.call('vm.start', { name });
      const serial = join(pathsA.data, 'vms', name, 'serial.log');
      await waitFor('guest up on A', () => counters(serial) >= 2);
      // Exact paths first (a short VM name can occur inside other strings, such as the lab's folder).
      const runDir = join(pathsA.runtime, 'vms', name);
      const dataDir = join(pathsA.data, 'vms', name);
      argv = (JSON.parse(readFileSync(join(runDir, 'runtime.json'), 'utf8')) as { argv: string[] }).argv.map((a) =>
        a.replaceAll(disk, 'RAWDISK').replaceAll(runDir, 'RAWRUN').replaceAll(dataDir, 'RAWDATA').replace(new RegExp(`^${name},`), 'raw,'),
      );
      const t = performance.now();
      const out = await local.call<{ downtimeMs?: number }>('vm.migrate.host', { name, to: 'b' });
      const ms = performance.now() - t;
      downtime.nova.push(out.downtimeMs ?? NaN);
      await local.call('host.call', { host: 'b', method: 'vm.delete', input: { name, disks: true } });
      return ms;
    };

    /** Nova's argv for the same guest, its paths moved into `dir` (and onto `disk`). */
    /** `boot`: where that host's user finds the kernel and initrd (B: its pool; A's home is 0700). */
    const rawArgv = (dir: string, disk: string, boot = bootA) =>
      argv.map((a) => a.replaceAll('RAWRUN', join(dir, 'run')).replaceAll('RAWDATA', join(dir, 'data')).replaceAll('RAWDISK', disk).replaceAll(`${bootA}/`, `${boot}/`));
    const rawRun = async (): Promise<number> => {
      const id = n++;
      const dirA = join(rawA, String(id));
      const dirB = join(rawB, String(id));
      for (const [d, u] of [[dirA, lab.local], [dirB, lab.remote]] as const) {
        for (const s of ['run/qemu', 'data']) mkdirSync(join(d, s), { recursive: true });
        execFileSync('chown', ['-R', `${u.uid}:${u.gid}`, d]);
      }
      const diskA = join(dirA, 'disk.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', diskA, '64M']);
      fill(diskA, lab.local);
      execFileSync(lab.local.as[0]!, [...lab.local.as.slice(1), ...rawArgv(dirA, diskA)]);
      await waitFor('raw guest up on A', () => counters(join(dirA, 'data', 'serial.log')) >= 2);
      const qa = await QmpProtocol.connect(join(dirA, 'run', 'qmp.sock'));
      const diskB = join(dirB, 'disk.qcow2');
      const t = performance.now();
      // B: empty disk, QEMU waiting, exports and the RAM listener on unix sockets.
      execFileSync('ip', ['netns', 'exec', b.ns, ...lab.remote.as, 'qemu-img', 'create', '-q', '-f', 'qcow2', diskB, '64M']);
      execFileSync('ip', ['netns', 'exec', b.ns, ...lab.remote.as, ...rawArgv(dirB, diskB, poolB), '-incoming', 'defer']);
      const qb = await QmpProtocol.connect(join(dirB, 'run', 'qmp.sock'));
      const nbdB = join(dirB, 'run', 'nbd.sock');
      const ramB = join(dirB, 'run', 'ram.sock');
      await prepareTarget(qb, { nbd: { path: nbdB }, disks: [{ node: 'disk0', exportName: 'disk0' }], incoming: `unix:${ramB}` });
      // The same ssh -N forward Nova opens (same options, pinned key), as A's user.
      const fw = { nbd: join(dirA, 'run', 'nbd.fwd'), ram: join(dirA, 'run', 'ram.fwd') };
      const host = { user: lab.remote.name, address: b.address, port: 22, socket: b.socket };
      const ssh = streamArgv('b', host, knownHostsFile(resolvePaths({ NOVA_HOME: lab.localHome })), [{ local: fw.nbd, remote: nbdB }, { local: fw.ram, remote: ramB }]);
      const child = spawn(lab.local.as[0]!, [...lab.local.as.slice(1), ...ssh], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: lab.local.home } });
      await waitFor('raw ssh forward', () => existsSync(fw.nbd) && existsSync(fw.ram), 15_000);
      const out = await runSource(qa, { nbd: { path: fw.nbd }, disks: [{ node: 'disk0', exportName: 'disk0' }], uri: `unix:${fw.ram}` });
      await qa.execute('quit').catch(() => undefined);
      await finishTarget(qb);
      const ms = performance.now() - t;
      downtime.raw.push(out.downtimeMs ?? NaN);
      child.kill('SIGTERM');
      await qb.execute('quit').catch(() => undefined);
      qa.close();
      qb.close();
      await waitFor('raw QEMUs gone', () => !existsSync(join(dirA, 'run', 'qemu', 'qemu.pid')) && !existsSync(join(dirB, 'run', 'qemu', 'qemu.pid')), 15_000).catch(() => undefined);
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
      return ms;
    };

    const s = await interleave(novaRun, rawRun, RUNS);
    const tn = spreadOf(s.a);
    const tr = spreadOf(s.b);
    const dn = spreadOf(downtime.nova.slice(-RUNS));
    const dr = spreadOf(downtime.raw.slice(-RUNS));
    const total = tn.median / tr.median;
    const down = dn.median / dr.median;
    const notes = '512 MiB TCG guest, 64 MiB qcow2 with 32 MiB of data, over SSH (unix-socket forwards), this host → a netns host';
    return [
      await saveResult({ name: 'migrate-total', metric: `cross-host live migration with the disk, total: Nova vm.migrate.host vs the raw QMP sequence (median of ${RUNS}, interleaved)`, unit: 'ms', value: tn.median, baseline: tr.median, ratio: total, goal: '<= 1.1x', met: total <= 1.1, ...spreadFields(tn, tr), notes }),
      await saveResult({ name: 'migrate-downtime', metric: `cross-host live migration downtime (QEMU's): Nova vs raw (median of ${RUNS})`, unit: 'ms', value: dn.median, baseline: dr.median, ratio: down, goal: '<= 1.2x and < 500 ms', met: down <= 1.2 && dn.median < 500, ...spreadFields(dn, dr), notes }),
    ];
  } finally {
    lab.cleanup();
  }
}

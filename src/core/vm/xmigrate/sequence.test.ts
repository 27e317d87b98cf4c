// The no-shared-storage migration sequence on two real TCG guests (raw QEMU, loopback TCP): the
// disk written before and during the mirror reads back identical on the target, the guest's
// serial counter continues there, downtime is reported, the source has quit.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../../test/guest.js';
import { describeHost } from '../../../test/host.js';
import { QmpProtocol } from '../qmp/protocol.js';
import { finishTarget, prepareTarget, runSource } from './sequence.js';
import type { MigrateProgress } from './sequence.js';

const dir = mkdtempSync(join(tmpdir(), 'nho-xmig-'));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  for (let d = 20; !ok(); d = Math.min(d * 2, 250)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, d));
  }
};

const counters = (log: string) => [...readFileSync(log, 'utf8').matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1]));

async function qemu(name: string, disk: string, extra: string[] = []): Promise<{ qmp: QmpProtocol; log: string; proc: ChildProcess }> {
  const g = await ensureTestGuest();
  const sock = join(dir, `${name}.qmp`);
  const log = join(dir, `${name}.log`);
  const proc = spawn('qemu-system-x86_64', [
    '-machine', 'q35', '-accel', 'tcg', '-m', '256', '-smp', '1', '-display', 'none', '-nodefaults', '-name', `nho-${name}`,
    '-serial', `file:${log}`, '-kernel', g.kernel, '-initrd', g.initrd, '-append', TEST_GUEST_CMDLINE,
    '-qmp', `unix:${sock},server=on,wait=off`,
    '-blockdev', `driver=file,filename=${disk},node-name=f0`, '-blockdev', 'driver=qcow2,file=f0,node-name=disk0',
    '-device', 'virtio-blk-pci,drive=disk0,id=vd0', ...extra,
  ], { stdio: 'ignore' });
  procs.push(proc);
  await until(`${name} QMP socket`, () => existsSync(sock) || proc.exitCode !== null);
  if (proc.exitCode !== null) throw new Error(`qemu ${name} exited ${proc.exitCode}`);
  return { qmp: await QmpProtocol.connect(sock), log, proc };
}

/** Writes through the guest's virtio-blk device (vd0's backend), as the guest itself would. */
async function guestWrite(q: QmpProtocol, pattern: string, at: string, len: string): Promise<void> {
  const out = await q.execute<string>('human-monitor-command', { 'command-line': `qemu-io -d /machine/peripheral/vd0/virtio-backend "write -P ${pattern} ${at} ${len}"` });
  if (out.trim()) throw new Error(`qemu-io write failed: ${out}`); // silent on success (its report goes to QEMU's stdout)
}

describeHost('cross-host migration sequence (NBD + blockdev-mirror, TCG)', { tools: ['qemu-system-x86_64', 'qemu-img', 'qemu-io'] }, () => {
  it('moves a running guest with its disk: data identical, counter continues, downtime reported, source gone', async () => {
    const src = join(dir, 'src.qcow2');
    const dst = join(dir, 'dst.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', src, '64M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', dst, '64M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 8M', '-c', 'write -P 0x5a 40M 4M', src], { stdio: 'ignore' });

    const a = await qemu('a', src);
    await until('guest counter on A', () => counters(a.log).length >= 2);
    const b = await qemu('b', dst, ['-incoming', 'defer']);
    const nbd = { host: '127.0.0.1', port: await freePort() };
    const incoming = `tcp:127.0.0.1:${await freePort()}`;
    await prepareTarget(b.qmp, { nbd, disks: [{ node: 'disk0', exportName: 'disk0' }], incoming });

    // A write while the mirror job runs (through QEMU's own block layer) must reach B too.
    const phases = new Set<string>();
    const onProgress = (p: MigrateProgress) => void phases.add(p.phase);
    let duringMirror: Promise<unknown> | undefined;
    a.qmp.on('event', (e) => {
      if (e.event === 'JOB_STATUS_CHANGE' && e.data?.status === 'running' && !duringMirror) {
        duringMirror = guestWrite(a.qmp, '0xcd', '20M', '2M');
      }
    });
    await guestWrite(a.qmp, '0xee', '30M', '1M');
    const out = await runSource(a.qmp, { nbd, disks: [{ node: 'disk0', exportName: 'disk0' }], uri: incoming, onProgress, phaseTimeoutMs: 120_000 });
    expect(duringMirror, 'a write was made while the mirror ran').toBeDefined();
    await duringMirror;
    const lastOnA = Math.max(...counters(a.log));
    expect(out.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(out.diskBytes).toBeGreaterThan(0);
    expect(phases.has('switchover')).toBe(true);

    // The source reports "completed" once it has sent everything; B loads the last device state
    // a moment later (a loaded machine caught it still "inmigrate"): ask again until it has left it.
    const statusOfB = async () => (await b.qmp.execute<{ status: string }>('query-status')).status;
    const bStates: string[] = [await statusOfB()];
    while (bStates.at(-1) === 'inmigrate' && bStates.length < 300) {
      await new Promise((r) => setTimeout(r, 100));
      bStates.push(await statusOfB());
    }
    expect(bStates.at(-1), `B's states: ${bStates.join(', ')}`).toBe('running');
    await finishTarget(b.qmp);
    expect((await a.qmp.execute<{ status: string }>('query-status')).status).toBe('postmigrate');
    await a.qmp.execute('quit').catch(() => undefined);
    await until('A gone', () => a.proc.exitCode !== null || a.proc.signalCode !== null, 10_000);

    await until('counter continues on B', () => counters(b.log).some((n) => n > lastOnA), 30_000);
    await b.qmp.execute('quit').catch(() => undefined);
    await until('B gone', () => b.proc.exitCode !== null || b.proc.signalCode !== null, 10_000);
    // Same guest-visible content, block for block.
    execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', src, dst]);
    for (const [pattern, at, len] of [['0xab', '0', '8M'], ['0x5a', '40M', '4M'], ['0xee', '30M', '1M'], ['0xcd', '20M', '2M']]) {
      execFileSync('qemu-io', ['-f', 'qcow2', '-c', `read -P ${pattern} ${at} ${len}`, dst], { stdio: 'ignore' });
    }
    console.log(`migration: total ${out.totalMs} ms, downtime ${out.downtimeMs} ms, RAM ${out.ramBytes} B, disk ${out.diskBytes} B`);
  }, 240_000);
});

// Live migration between two Nova hosts for real (#22): this machine's engine (the `nova` CLI run
// as an unprivileged user) moves a running TCG guest with its qcow2 disk to host B, a network
// namespace with its own sshd and its own `nova serve --socket` run by another unprivileged user.
// NBD and RAM travel through the host's SSH connection (unix sockets at both ends). Checked: the
// guest's serial counter continues on B, data written before and during the move reads back
// identical there, downtime is reported, A keeps nothing (definition, disk, ssh forward, journal);
// a cancelled move and a move whose process was killed -9 (then `nova migrate recover`) leave the
// guest running on A and nothing on B.
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QmpProtocol } from '../core/vm/qmp/protocol.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from './guest.js';
import { describeHost } from './host.js';
import { SshLab } from './ssh-lab.js';
import type { LabHost } from './ssh-lab.js';

/** B's lease on an incoming move (the shortest allowed: three renewals). */
const LEASE_MS = 6000;

const counters = (log: string) => (existsSync(log) ? [...readFileSync(log, 'utf8').matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1])) : []);

const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms;
  for (let d = 20; !(await ok()); d = Math.min(d * 2, 250)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, d));
  }
};

async function hmp(sock: string, line: string): Promise<string> {
  const q = await QmpProtocol.connect(sock);
  try {
    return await q.execute<string>('human-monitor-command', { 'command-line': line });
  } finally {
    q.close();
  }
}

/** ssh processes still forwarding a migration's sockets (`xm-<id>`). */
const forwards = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('ssh ') && l.includes('/xm-'));

describeHost('live migration between two Nova hosts over SSH (TCG guest, qcow2 disk)', { root: true, tools: ['sshd', 'ssh', 'setpriv', 'ip', 'qemu-system-x86_64', 'qemu-img', 'qemu-io'] }, () => {
  const lab = new SshLab({ prefix: 'nhst', net: 115, serveEnv: { NOVA_XMIGRATE_LEASE_MS: String(LEASE_MS) } });
  let b: LabHost;
  let disk = '';
  const runA = () => join(lab.localHome, 'run', 'vms', 'g');
  const serialA = () => join(lab.localHome, 'data', 'vms', 'g', 'serial.log');
  const serialB = () => join(b.novaHome, 'data', 'vms', 'g', 'serial.log');
  const vmsOf = async (args: string[]) => {
    const r = await lab.nova([...args, 'vm', 'ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { items: { name: string; state: string }[] }).items;
  };
  const bHasNothing = async () => {
    expect(await vmsOf(['--host', 'b'])).toEqual([]);
    expect(readdirSync(join(b.novaHome, 'data', 'vms')).filter((f) => !f.startsWith('.'))).toEqual([]);
  };
  const aRunsOn = async () => {
    expect((await vmsOf([])).find((v) => v.name === 'g')?.state).toBe('running');
    const n = counters(serialA()).length;
    await waitFor('the counter goes on on A', () => counters(serialA()).length > n, 30_000);
    expect(forwards()).toEqual([]);
    expect(existsSync(join(lab.localHome, 'data', 'xmigrate', 'g.json'))).toBe(false);
  };
  /** Starts a move and resolves once B has defined the incoming VM (the mirror is under way). */
  const startMove = async (extra: string[]) => {
    const p = lab.novaProcess(['migrate', 'vm', 'g', '--to', 'b', ...extra]);
    let ended = '';
    void p.done.then((r) => (ended = `nova migrate exited ${r.code}: ${r.stderr}`));
    const up = () => {
      if (ended) throw new Error(ended);
      return existsSync(join(b.novaHome, 'data', 'vms', 'g', 'incoming.json')) && existsSync(join(b.novaHome, 'run', 'vms', 'g', 'qmp.sock')) && forwards().length > 0;
    };
    await waitFor('B defines the incoming VM and the ssh forward is up', up, 60_000);
    return p;
  };

  beforeAll(async () => {
    lab.setup();
    b = await lab.addHost('b');
    const add = await lab.nova(['host', 'add', 'b', b.url, '--fingerprint', lab.fingerprint(b)]);
    expect(add.code, add.stderr).toBe(0);
    const g = await ensureTestGuest();
    // Boot files: in the user's folder on A, in the target's storage pool on B (found there by name).
    const bootA = join(lab.localHome, 'boot');
    const poolB = join(b.novaHome, 'data', 'storage');
    for (const d of [bootA, join(b.novaHome, 'data'), poolB]) mkdirSync(d, { recursive: true });
    for (const f of [g.kernel, g.initrd]) {
      copyFileSync(f, join(bootA, f.split('/').pop()!));
      copyFileSync(f, join(poolB, f.split('/').pop()!));
    }
    disk = join(lab.localHome, 'g.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 8M', '-c', 'write -P 0x5a 40M 16M', disk], { stdio: 'ignore' });
    execFileSync('chown', ['-R', `${lab.local.uid}:${lab.local.gid}`, bootA, disk]);
    execFileSync('chown', ['-R', `${lab.remote.uid}:${lab.remote.gid}`, join(b.novaHome, 'data')]);
    chownSync(lab.localHome, lab.local.uid, lab.local.gid);
    const create = await lab.nova(['vm', 'create', 'g', '--image', disk, '--kernel', join(bootA, 'vmlinuz'), '--initrd', join(bootA, 'initrd.gz'), '--cmdline', TEST_GUEST_CMDLINE, '--memory', '256Mi', '--network', 'none']);
    expect(create.code, create.stderr).toBe(0);
    const start = await lab.nova(['vm', 'start', 'g']);
    expect(start.code, start.stderr).toBe(0);
    await waitFor('guest counter on A', () => counters(serialA()).length >= 2, 60_000);
  }, 240_000);
  afterAll(() => lab.cleanup());

  it('a move cancelled mid-mirror (Ctrl-C) leaves the guest running on A and nothing on B', async () => {
    const p = await startMove(['--bandwidth', '2M']);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/cancel/i);
    await bHasNothing();
    await aRunsOn();
  }, 180_000);

  it('a move whose process is killed -9 mid-mirror: B removes its attempt by itself once the lease runs out; `nova migrate recover` keeps the guest on A', async () => {
    const p = await startMove(['--bandwidth', '2M']);
    p.child.kill('SIGKILL');
    await p.done;
    const killedAt = Date.now();
    // No recover yet: B notices that nobody renews the attempt (the orphaned forward still carries the mirror).
    await waitFor('B removes the abandoned attempt', async () => !existsSync(join(b.novaHome, 'data', 'vms', 'g')) && (await vmsOf(['--host', 'b'])).length === 0, LEASE_MS + 20_000);
    console.log(`B removed the abandoned attempt ${Date.now() - killedAt} ms after the source was killed (lease ${LEASE_MS} ms)`);
    await bHasNothing();
    const r = await lab.nova(['migrate', 'recover', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { items: { outcome: string }[] }).items.map((x) => x.outcome)).toEqual(['kept-here']);
    await bHasNothing();
    await aRunsOn();
  }, 180_000);

  it('moves the running guest with its disk to B: counter continues, data identical, downtime reported, A keeps nothing', async () => {
    const p = lab.novaProcess(['migrate', 'vm', 'g', '--to', 'b', '--bandwidth', '64M', '--json']);
    let ended = false;
    void p.done.then(() => (ended = true));
    await waitFor('B defines the incoming VM', () => ended || existsSync(join(b.novaHome, 'data', 'vms', 'g', 'incoming.json')), 60_000);
    // Written while the mirror runs, through the guest's own disk node (the events monitor is free).
    const wrote = await hmp(join(runA(), 'qmpe.sock'), 'qemu-io disk0 "write -P 0x5c 16M 1M"').then(() => true, () => false);
    let lastOnA = 0;
    const poll = setInterval(() => (lastOnA = Math.max(lastOnA, ...counters(serialA()))), 50);
    const r = await p.done;
    clearInterval(poll);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { transport: string; totalMs: number; downtimeMs: number; diskBytes: number; removedDisks: string[] };
    expect(out.transport).toBe('ssh');
    expect(out.downtimeMs).toBeGreaterThan(0);
    expect(out.diskBytes).toBe(64 * 1024 ** 2);
    console.log(`cross-host migration over ssh: total ${out.totalMs} ms, downtime ${out.downtimeMs} ms (256 MiB TCG guest, 64 MiB qcow2)`);
    // B runs it, owns it, and the counter goes on from where A left it.
    expect((await vmsOf(['--host', 'b'])).map((v) => [v.name, v.state])).toEqual([['g', 'running']]);
    expect(existsSync(join(b.novaHome, 'data', 'vms', 'g', 'incoming.json'))).toBe(false);
    await waitFor('counter on B', () => counters(serialB()).length >= 2, 30_000);
    const first = counters(serialB())[0]!;
    expect(first).toBeGreaterThan(1); // not a reboot
    expect(first).toBeLessThanOrEqual(lastOnA + 3);
    // The disk on B: what was written before and during the move.
    const qmpB = join(b.novaHome, 'run', 'vms', 'g', 'qmp.sock');
    for (const check of ['read -P 0xab 0 8M', 'read -P 0x5a 40M 16M', ...(wrote ? ['read -P 0x5c 16M 1M'] : []), 'read -P 0 32M 8M']) {
      expect(await hmp(qmpB, `qemu-io disk0 "${check}"`), check).not.toMatch(/fail|error/i);
    }
    expect(wrote).toBe(true);
    // A keeps nothing.
    expect(await vmsOf([])).toEqual([]);
    expect(out.removedDisks).toEqual([disk]);
    expect(existsSync(disk)).toBe(false);
    expect(forwards()).toEqual([]);
    expect(existsSync(join(lab.localHome, 'data', 'xmigrate', 'g.json'))).toBe(false);
    const stop = await lab.nova(['--host', 'b', 'vm', 'stop', 'g', '--force']);
    expect(stop.code, stop.stderr).toBe(0);
  }, 240_000);

  it('moves a guest over --transport tcp (opt-in, clear text on B\'s address), its disk an overlay on a store image B has too: only the top layer moves (sync: top)', async () => {
    // The same OS image in both hosts' stores (<data>/os-images/NAME, image.json with its checksum).
    const storeA = join(lab.localHome, 'data', 'os-images', 'tbase');
    const storeB = join(b.novaHome, 'data', 'os-images', 'tbase');
    for (const d of [storeA, storeB]) mkdirSync(d, { recursive: true });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(storeA, 'base.qcow2'), '16M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x3c 0 4M', join(storeA, 'base.qcow2')], { stdio: 'ignore' });
    copyFileSync(join(storeA, 'base.qcow2'), join(storeB, 'base.qcow2'));
    const sha = execFileSync('sha256sum', [join(storeA, 'base.qcow2')], { encoding: 'utf8' }).split(' ')[0]!;
    const meta = { name: 'tbase', file: 'base.qcow2', format: 'qcow2', source: 'test', sizeBytes: statSync(join(storeA, 'base.qcow2')).size, checksum: { algorithm: 'sha256', value: sha }, signature: { checked: false, note: 'test' }, pulledAt: 0 };
    for (const d of [storeA, storeB]) writeFileSync(join(d, 'image.json'), JSON.stringify(meta));
    const disk2 = join(lab.localHome, 'h.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(storeA, 'base.qcow2'), '-F', 'qcow2', disk2, '16M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x7e 8M 1M', disk2], { stdio: 'ignore' });
    execFileSync('chown', ['-R', `${lab.local.uid}:${lab.local.gid}`, join(lab.localHome, 'data', 'os-images'), disk2]);
    execFileSync('chown', ['-R', `${lab.remote.uid}:${lab.remote.gid}`, join(b.novaHome, 'data', 'os-images')]);
    const bootA = join(lab.localHome, 'boot');
    const create = await lab.nova(['vm', 'create', 'h', '--image', disk2, '--kernel', join(bootA, 'vmlinuz'), '--initrd', join(bootA, 'initrd.gz'), '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--network', 'none']);
    expect(create.code, create.stderr).toBe(0);
    expect((await lab.nova(['vm', 'start', 'h'])).code).toBe(0);
    const serialH = (home: string) => join(home, 'data', 'vms', 'h', 'serial.log');
    await waitFor('guest h counter on A', () => counters(serialH(lab.localHome)).length >= 1, 60_000);
    const r = await lab.nova(['migrate', 'vm', 'h', '--to', 'b', '--transport', 'tcp', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { transport: string; downtimeMs: number; totalMs: number; diskBytes: number };
    expect(out.transport).toBe('tcp');
    console.log(`cross-host migration over tcp, sync top: total ${out.totalMs} ms, downtime ${out.downtimeMs} ms, ${out.diskBytes} disk bytes (128 MiB TCG guest, 16 MiB overlay)`);
    expect(out.diskBytes).toBeLessThan(4 * 1024 ** 2); // the 1 MiB top layer, not the 16 MiB disk
    const diskB = join(b.novaHome, 'data', 'vms', 'h', 'disk0.qcow2');
    expect((JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', diskB], { encoding: 'utf8' })) as { 'backing-filename'?: string })['backing-filename']).toBe(join(storeB, 'base.qcow2'));
    expect((await vmsOf(['--host', 'b'])).find((v) => v.name === 'h')?.state).toBe('running');
    await waitFor('counter of h on B', () => counters(serialH(b.novaHome)).length >= 1, 30_000);
    for (const check of ['read -P 0x3c 0 4M', 'read -P 0x7e 8M 1M']) expect(await hmp(join(b.novaHome, 'run', 'vms', 'h', 'qmp.sock'), `qemu-io disk0 "${check}"`), check).not.toMatch(/fail|error/i);
    expect(existsSync(disk2)).toBe(false);
    expect(forwards()).toEqual([]);
    const stop = await lab.nova(['--host', 'b', 'vm', 'stop', 'h', '--force']);
    expect(stop.code, stop.stderr).toBe(0);
  }, 180_000);
});

// Real TCG guests (the shared test guest: Debian cloud kernel + busybox initramfs). One booted
// guest is shared by the lifecycle cases; each case leaves it in the state the next expects.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE, TEST_GUEST_DIR } from '../../test/guest.js';
import type { TestGuest } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { hmp } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';
import { pidAlive } from '../sys/proc.js';

const NOVA_BIN = join(import.meta.dirname, '../../../bin/nova.mjs');
const counters = (log: string) => [...log.matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1]));
const serial = (v: VmInfo) => readFileSync(v.serialLog, 'utf8');

describeHost('VM lifecycle on a real TCG guest', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio'] }, () => {
  let guest: TestGuest;
  let home: TempHome;
  let home2: TempHome;
  let a: Engine;
  let b: Engine;
  const pids = new Set<number>();
  const spec = (extra: Record<string, unknown> = {}) => ({
    kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '160Mi', cpu: 1,
    disks: [{ path: join(home.dir, 'g.qcow2'), size: '64Mi' }], ...extra,
  });
  const call = <T = VmInfo>(e: Engine, m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
  const track = (v: VmInfo) => (v.pid && pids.add(v.pid), v);

  beforeAll(async () => {
    guest = await ensureTestGuest();
    home = await tempHome('nova-vm-');
    home2 = await tempHome('nova-vm2-');
    a = home.engine();
    b = home.engine(); // a second engine on the same home: another Nova process
    await a.start(); // a long-running engine (like `nova serve`): QMP event monitors, restart policies
  });

  afterAll(async () => {
    for (const e of [a, b]) for (const n of ['g', 'gc', 'ga', 'gw']) await call(e, 'vm.destroy', { name: n }).catch(() => undefined);
    const d = home2.engine();
    await call(d, 'vm.destroy', { name: 'g' }).catch(() => undefined);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
    await home2.cleanup();
  });

  it('rejects bad input with the field and a fix, and starts nothing', async () => {
    const bad = async (input: unknown, field: RegExp) => {
      const r = await a.dispatcher.call('vm.create', input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('INVALID_INPUT');
        expect(r.error.message).toMatch(field);
      }
    };
    await bad({ name: 'x', spec: spec({ memory: '16Qi' }) }, /memory/);
    await bad({ name: 'x', spec: spec({ cpu: 0 }) }, /cpu/);
    await bad({ name: 'a;b', spec: spec() }, /name/);
    await bad({ name: 'a/b', spec: spec() }, /name/);
    await bad({ name: 'x', spec: { image: join(home.dir, 'missing.qcow2') } }, /image: .*missing\.qcow2 does not exist/);
    expect((await call<{ items: unknown[] }>(a, 'vm.list', {})).items).toEqual([]);
  }, 120_000);

  it('starts: QMP running, serial log shows the guest init, TCG reason surfaced', async () => {
    await call(a, 'vm.create', { name: 'g', spec: spec({ restart: 'no' }) });
    const v = track(await call(a, 'vm.start', { name: 'g' }));
    expect(v.state).toBe('running');
    expect(v.accelerator.kind).toBe('tcg');
    expect(v.reason).toMatch(/TCG/);
    await waitFor('guest init on serial', () => serial(v).includes('nova-guest: init ready'), 60_000);
    await waitFor('virtio disk seen by guest', () => serial(v).includes('nova-disk: vda'), 10_000);
  }, 120_000);

  it('serves VNC on a unix socket in an owner-only folder, never on a TCP port; it greets with RFB', async () => {
    const c = await call<{ path: string; vncSocket: string }>(a, 'vm.console', { name: 'g' });
    expect(c.path).toBe('/console/g');
    // Owner-only; a root-started (confined) QEMU's run-as group may pass through, nobody else.
    const folder = statSync(dirname(c.vncSocket));
    expect(folder.mode & 0o777).toBe(process.getuid?.() === 0 ? 0o710 : 0o700);
    const pid = (await call(a, 'vm.inspect', { name: 'g' })).pid!;
    // Every socket QEMU holds: none of them is a listening TCP socket (v4 or v6).
    // (An fd may close between the listing and its readlink: the guest agent channel comes and goes.)
    const target = (fd: string) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    };
    const inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(target(fd))?.[1]).filter(Boolean));
    const listening = ['tcp', 'tcp6'].flatMap((f) => readFileSync(`/proc/net/${f}`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((x) => x[3] === '0A').map((x) => x[9]));
    expect(inodes.size).toBeGreaterThan(0);
    expect(listening.filter((i) => inodes.has(i))).toEqual([]);
    const greeting = await new Promise<string>((resolve, reject) => {
      const sock = connect(c.vncSocket);
      sock.once('data', (d) => (sock.destroy(), resolve(d.toString())));
      sock.once('error', reject);
    });
    expect(greeting).toMatch(/^RFB 003\.00\d\n/);
  }, 120_000);

  it('a second engine and a separate CLI process see it running; concurrent commands never hang', async () => {
    expect((await call(b, 'vm.inspect', { name: 'g' })).state).toBe('running');
    const cli = new Promise<string>((resolve) => {
      execFile(process.execPath, [NOVA_BIN, '--json', 'vm', 'inspect', 'g'], { env: home.env, timeout: 60_000 }, (_err, stdout) => resolve(stdout));
    });
    const work = [a, b].flatMap((e) => [call(e, 'vm.inspect', { name: 'g' }), call(e, 'vm.snapshot.list', { name: 'g' }), e.dispatcher.invoke('resource.list', {})]);
    const done = await Promise.race([Promise.all([...work, cli]), new Promise((r) => setTimeout(() => r('hang'), 60_000))]);
    expect(done).not.toBe('hang');
    expect(JSON.parse(await cli)).toMatchObject({ name: 'g', state: 'running' });
  }, 120_000);

  it('balloon shrinks the guest\'s RAM through its virtio driver; stats and metrics; screenshot writes a PNG', async () => {
    const r = await call<{ actual: number }>(a, 'vm.balloon', { name: 'g', target: '96Mi' });
    expect(r.actual).toBeLessThanOrEqual(160 * 1024 ** 2);
    await waitFor('balloon inflated', async () => (await call<{ actual: number }>(b, 'vm.balloon', { name: 'g' })).actual === 96 * 1024 ** 2, 20_000, 250);
    await call(a, 'vm.balloon', { name: 'g', target: '160Mi' });
    expect(await a.dispatcher.call('vm.balloon', { name: 'g', target: '1Gi' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const samples: { values: Record<string, number> }[] = [];
    const off = a.bus.on('metrics.sample', (m) => m.kind === 'vm' && m.name === 'g' && samples.push(m));
    await call(b, 'vm.stats', { name: 'g' });
    const st = await call<{ memoryBytes: number; cpuTimeMs: number; cpuPercent?: number }>(b, 'vm.stats', { name: 'g' });
    expect(st.memoryBytes).toBeGreaterThan(20 * 1024 ** 2);
    expect(st.cpuTimeMs).toBeGreaterThan(0);
    expect(st.cpuPercent).toBeGreaterThanOrEqual(0);
    await waitFor('metrics.sample from the watcher', () => samples.some((m) => m.values.cpuPercent !== undefined && m.values.memoryBytes! > 0), 10_000, 100);
    off();
    const shot = await call<{ path: string; bytes: number }>(a, 'vm.screenshot', { name: 'g' });
    expect(readFileSync(shot.path).subarray(0, 4).toString('hex')).toBe('89504e47');
  }, 120_000);

  it('pauses and resumes (the serial counter stops, then continues); QMP events reach the watching engine', async () => {
    const seen: string[] = [];
    const off = a.bus.on('vm.state', (ev) => ev.name === 'g' && seen.push(ev.state));
    const v = await call(b, 'vm.pause', { name: 'g' }); // engine b acts; engine a learns it from QEMU's STOP event
    expect(v.state).toBe('paused');
    await waitFor('STOP event as vm.state paused on the other engine', () => seen.includes('paused'), 5000, 50);
    off();
    const frozen = counters(serial(v)).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(counters(serial(v)).length).toBe(frozen);
    expect((await call(b, 'vm.resume', { name: 'g' })).state).toBe('running');
    await waitFor('counter after resume', () => counters(serial(v)).length > frozen, 15_000);
  }, 120_000);

  it('snapshots live: disk and memory revert on restore; list shows size and date; delete', async () => {
    const qmp = layoutOf(a.paths, 'g').qmp;
    const v = await call(a, 'vm.inspect', { name: 'g' });
    await waitFor('a few counters', () => counters(serial(v)).length >= 3, 20_000);
    const snap = await call<{ tag: string }>(a, 'vm.snapshot.create', { name: 'g', tag: 's1' });
    expect(snap.tag).toBe('s1');
    const atSnap = Math.max(...counters(serial(v)));
    // Change the disk under the guest (qemu-io through HMP) and let the counter move on.
    await withQmp(qmp, (q) => hmp(q, 'qemu-io disk0 "write -P 0x5a 0 4k"'));
    expect(await withQmp(qmp, (q) => hmp(q, 'qemu-io disk0 "read -P 0x5a 0 4k"'))).not.toMatch(/verification failed/i);
    await waitFor('counter moves past the snapshot', () => Math.max(...counters(serial(v))) >= atSnap + 2, 20_000);
    const list = await call<{ snapshots: { tag: string; vmStateSize: number; date: number }[] }>(a, 'vm.snapshot.list', { name: 'g' });
    expect(list.snapshots.map((s) => s.tag)).toEqual(['s1']);
    expect(list.snapshots[0]!.vmStateSize).toBeGreaterThan(1_000_000);
    expect(Math.abs(list.snapshots[0]!.date * 1000 - Date.now())).toBeLessThan(300_000);

    const before = counters(serial(v)).length;
    await call(a, 'vm.snapshot.restore', { name: 'g', tag: 's1' });
    // Disk: the write is gone. Memory: the counter restarts from the snapshot's value.
    expect(await withQmp(qmp, (q) => hmp(q, 'qemu-io disk0 "read -P 0x00 0 4k"'))).not.toMatch(/verification failed/i);
    await waitFor('counter rewound', () => counters(serial(v)).slice(before).some((n) => n <= atSnap + 1), 20_000);
    await call(a, 'vm.snapshot.delete', { name: 'g', tag: 's1' });
    expect((await call<{ snapshots: unknown[] }>(a, 'vm.snapshot.list', { name: 'g' })).snapshots).toEqual([]);
  }, 120_000);

  it('a second engine stops it through the guest agent (guest powers itself off)', async () => {
    const v = await call<VmInfo & { stoppedBy?: string }>(b, 'vm.stop', { name: 'g', timeoutMs: 30_000 });
    expect(v).toMatchObject({ state: 'stopped', stoppedBy: 'guest-agent' });
    expect(serial(v)).toContain('(guest agent)');
    expect(serial(v)).toContain('reboot: Power down');
    expect((await call(a, 'vm.inspect', { name: 'g' })).state).toBe('stopped');
  }, 120_000);

  it('linked clone: qcow2 overlay backed by the source disk; kill -9 → crashed → restarted (on-failure); a TERM from a shell: stopped, QEMU\'s message as the reason', async () => {
    const c = await call(a, 'vm.clone', { source: 'g', name: 'gc' });
    const info = await call<{ backingFile?: string }>(a, 'vm.disk.info', { path: c.disks[0]!.path });
    expect(info.backingFile).toBe(join(home.dir, 'g.qcow2'));
    expect(await a.dispatcher.call('vm.delete', { name: 'g', disks: true })).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/backing file of VM gc/) } });
    await call(a, 'vm.update', { name: 'gc', spec: { ...c.spec, restart: 'on-failure' } });
    const started = track(await call(a, 'vm.start', { name: 'gc' }));
    const states: { state: string }[] = [];
    a.bus.on('vm.state', (e) => e.name === 'gc' && states.push({ state: e.state }));
    process.kill(started.pid!, 'SIGKILL');
    // Not timed (a loaded CI host stretches any bound): the crash is announced, then the restart.
    await waitFor('crashed event', () => states.find((s) => s.state === 'crashed'), 30_000, 50);
    const back = await waitFor('restarted', async () => {
      const v = await call(b, 'vm.inspect', { name: 'gc' });
      return v.state === 'running' && v.pid !== started.pid ? v : undefined;
    }, 30_000, 200);
    track(back);
    // External snapshot on the running clone: a new overlay becomes the active layer.
    const ext = await call<{ overlays: string[] }>(a, 'vm.snapshot.create', { name: 'gc', tag: 'ext1', external: true });
    expect(ext.overlays).toHaveLength(1);
    const overlay = await call<{ backingFile?: string }>(a, 'vm.disk.info', { path: ext.overlays[0]! });
    expect(overlay.backingFile).toBe(c.disks[0]!.path);
    expect((await call(b, 'vm.inspect', { name: 'gc' })).disks[0]!.path).toBe(ext.overlays[0]);
    // What QEMU says after it daemonized reaches the user (its -D log): a TERM from a shell.
    process.kill(back.pid!, 'SIGTERM');
    const ended = await waitFor('gc ended by SIGTERM', async () => {
      const v = await call(b, 'vm.inspect', { name: 'gc' });
      return v.state === 'stopped' ? v : undefined;
    }, 30_000, 100);
    expect(ended.reason).toMatch(/^QEMU ended: terminating on signal 15 from pid \d+/);
  }, 120_000);

  it('restart = "always": a guest that powers itself off comes back; a stop you ask for stays stopped', async () => {
    await call(a, 'vm.create', { name: 'ga', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none', restart: 'always' } });
    const first = track(await call(a, 'vm.start', { name: 'ga' }));
    await waitFor('guest acpid up', () => serial(first).includes('nova-counter 1'), 60_000, 200);
    // The guest shuts down on its own (power button pressed behind Nova's back): a clean exit.
    await withQmp(layoutOf(a.paths, 'ga').qmp, (q) => q.execute('system_powerdown'));
    const again = await waitFor('restarted by policy', async () => {
      const v = await call(b, 'vm.inspect', { name: 'ga' });
      return v.state === 'running' && v.pid !== first.pid ? v : undefined;
    }, 60_000, 200);
    track(again);
    expect((await call(b, 'vm.stop', { name: 'ga', force: true })).state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 1500)); // several watcher passes
    expect((await call(a, 'vm.inspect', { name: 'ga' })).state).toBe('stopped');
    await call(a, 'vm.delete', { name: 'ga' });
  }, 120_000);

  it('a VM started and stopped by another process (the CLI) is published running, then stopped, by the watching engine', async () => {
    await call(b, 'vm.create', { name: 'gw', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
    const seen: string[] = [];
    const off = a.bus.on('vm.state', (e) => e.name === 'gw' && seen.push(e.state));
    try {
      // b is never started (a one-shot CLI engine): only a's watcher can tell a's clients.
      track(await call(b, 'vm.start', { name: 'gw' }));
      await waitFor('a publishes running', () => seen.at(-1) === 'running', 5_000, 50);
      expect((await a.dispatcher.invoke('resource.list', {}) as { items: { name: string; state: string }[] }).items.find((r) => r.name === 'gw')?.state).toBe('running');
      await call(b, 'vm.stop', { name: 'gw', force: true });
      await waitFor('a publishes stopped', () => seen.at(-1) === 'stopped', 5_000, 50);
    } finally {
      off();
      await call(b, 'vm.delete', { name: 'gw' }).catch(() => undefined);
    }
  }, 120_000);

  it('migrates live to another Nova home; the serial counter continues there', async () => {
    const offset = readFileSync(join(home.dir, 'data/vms/g/serial.log'), 'utf8').length;
    const v = track(await call(a, 'vm.start', { name: 'g' }));
    const fresh = () => counters(serial(v).slice(offset));
    await waitFor('counter on source', () => fresh().length >= 3, 120_000); // a TCG boot on 2 busy cores
    const tasks: { title: string; state: string }[] = [];
    const off = a.bus.on('task.progress', (t) => tasks.push({ title: t.title, state: t.state }));
    // The other home is outside this one's roots: the host's user allows it first (path policy).
    await call(a, 'prefs.set', { key: 'allowedRoots', value: [TEST_GUEST_DIR, home2.dir] });
    const r = await call<{ totalMs: number }>(a, 'vm.migrate', { name: 'g', to: `home:${home2.dir}` });
    off();
    expect(r.totalMs).toBeGreaterThan(0);
    expect(tasks.filter((t) => /migrate VM g/.test(t.title)).map((t) => t.state)).toEqual(expect.arrayContaining(['running', 'done']));
    const src = await call(a, 'vm.inspect', { name: 'g' });
    expect(src.state).toBe('stopped');
    expect(src.reason).toMatch(/migrated/);
    const dEngine = home2.engine();
    // The source reports "completed" a moment before the destination resumes the guest.
    const dst = track(await waitFor('destination running', async () => {
      const d = await call(dEngine, 'vm.inspect', { name: 'g' });
      return d.state === 'running' ? d : undefined;
    }, 10_000));
    const last = Math.max(...fresh());
    expect(last).toBeGreaterThanOrEqual(2);
    const dstCounters = await waitFor('counter on destination', () => {
      const c = counters(serial(dst));
      return c.length >= 2 ? c : undefined;
    }, 60_000);
    // It continues from where the source stopped instead of starting over at 0.
    expect(dstCounters[0]).toBeGreaterThanOrEqual(last);
    expect(dstCounters[1]).toBe(dstCounters[0]! + 1);
    expect((await call(dEngine, 'vm.stop', { name: 'g', force: true })).state).toBe('stopped');
  }, 240_000);
});

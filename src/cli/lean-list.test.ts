import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../core/engine.js';
import { capsuleLayout } from '../core/capsule/layout.js';
import { dirs } from '../core/sys/paths.js';
import { layoutOf } from '../core/vm/store.js';
import { busyboxRootfs } from '../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { listInProcess } from './lean-list.js';

const root = join(import.meta.dirname, '..', '..');

// The in-process `nova ls` (out/cli/nova-fast.cjs) must answer byte for byte what the engine's
// resource.list answers, over the same host state, or leave the command to the full CLI.
describeHost('nova ls without an engine (lean listing)', { root: true, tools: ['crun', 'busybox', 'qemu-img'] }, () => {
  let home: TempHome;
  let engine: Engine;
  let fakeQemu: ChildProcess | undefined;
  const call = (m: string, i: unknown) => engine.dispatcher.invoke(m as never, i as never);
  const same = async (params: { kind?: 'vm' | 'capsule' | 'network'; project?: string }) => {
    const mine = await listInProcess(params, home.env);
    expect(mine, JSON.stringify(params)).toBeDefined();
    expect(JSON.stringify(mine)).toBe(JSON.stringify(await call('resource.list', params)));
    return mine!.items;
  };

  beforeAll(async () => {
    home = await tempHome('nova-lean-');
    engine = home.engine();
    const rootfs = busyboxRootfs(join(home.dir, 'work'));
    const disk = (n: string) => [{ path: join(dirs.vms(engine.paths), `${n}.qcow2`), size: '16Mi' }];
    await call('capsule.create', { name: 'c-created', project: 'p', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun', limits: { cpu: 1, memory: '64Mi' }, autostart: true } });
    await call('capsule.create', { name: 'c-running', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' }, start: true });
    await call('capsule.create', { name: 'c-exited', spec: { capsule: rootfs, command: ['true'], runtime: 'crun' } });
    writeFileSync(capsuleLayout(engine.paths, 'c-exited').exitFile, JSON.stringify({ code: 3, at: Date.now(), restarts: 0 }));
    await call('vm.create', { name: 'v-stopped', project: 'p', spec: { memory: '128Mi', cpu: 2, network: 'none', disks: disk('v-stopped'), autostart: true } });
    await call('vm.create', { name: 'v-crashed', spec: { memory: '128Mi', cpu: 1, network: 'none', disks: disk('v-crashed') } });
    await call('vm.create', { name: 'v-running', spec: { memory: '256Mi', cpu: 1, network: 'none', disks: disk('v-running') } });
    // A crashed QEMU leaves its pidfile; a running one is a process whose command line names the VM.
    mkdirSync(layoutOf(engine.paths, 'v-crashed').scratch, { recursive: true });
    writeFileSync(layoutOf(engine.paths, 'v-crashed').pidfile, '999999\n');
    const uuid = ((await call('vm.inspect', { name: 'v-running' })) as { uuid: string }).uuid;
    fakeQemu = spawn('bash', ['-c', `exec -a "qemu-system-x86_64 -uuid ${uuid}" sleep 1000`], { stdio: 'ignore' });
    mkdirSync(layoutOf(engine.paths, 'v-running').scratch, { recursive: true });
    writeFileSync(layoutOf(engine.paths, 'v-running').pidfile, `${fakeQemu.pid}\n`);
    writeFileSync(layoutOf(engine.paths, 'v-running').runtimeInfo, JSON.stringify({ accel: 'tcg', accelReason: 'no /dev/kvm', nic: { kind: 'none' }, argv: [], startedAt: Date.now() }));
  }, 120_000);
  afterAll(async () => {
    fakeQemu?.kill('SIGKILL');
    await call('capsule.rm', { name: 'c-running', force: true }).catch(() => undefined);
    await home?.cleanup();
  });

  it('lists what resource.list lists, with every filter', async () => {
    const all = await same({});
    expect(all.map((r) => `${r.name} ${r.state}`)).toEqual([
      'c-created created', 'c-exited exited', 'c-running running', 'v-crashed crashed', 'v-running running', 'v-stopped stopped',
    ]);
    expect(all.find((r) => r.name === 'v-running')?.detail).toMatch(/TCG$/);
    await same({ kind: 'vm' });
    await same({ kind: 'capsule' });
    await same({ kind: 'network' });
    expect((await same({ project: 'p' })).map((r) => r.name)).toEqual(['c-created', 'v-stopped']);
  });

  it('leaves networks, unknown kinds and broken state files to the full CLI', async () => {
    expect(await listInProcess({ kind: 'vms' }, home.env)).toBeUndefined();
    // A switch's row comes from the network backend: listed by the engine, not here.
    mkdirSync(dirs.networks(engine.paths), { recursive: true });
    const declared = join(dirs.networks(engine.paths), 'lan0.json');
    writeFileSync(declared, '{}');
    expect(await listInProcess({}, home.env)).toBeUndefined();
    await same({ kind: 'vm' });
    rmSync(declared);
    // A hand-broken state file: no listing here, and the full CLI names the file and how to fix it.
    const exit = capsuleLayout(engine.paths, 'c-exited').exitFile;
    writeFileSync(exit, '{"code": 3,');
    expect(await listInProcess({}, home.env)).toBeUndefined();
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      execFile(process.execPath, [join(root, 'bin', 'nova.mjs'), 'ls'], { env: { ...home.env, NOVA_NO_SOCKET: '1' }, encoding: 'utf8' }, (e, out, err) => resolve({ code: e ? (e.code as number) : 0, out, err })),
    );
    expect(r.out).toBe('');
    expect(r.err).toContain(`state file ${exit} is not valid JSON`);
    expect(r.err).toContain('move it away to reset it');
    expect(r.code).toBe(1);
    rmSync(exit);
  }, 60_000);
});

// The VM area as an EngineModule: procedures, `nova ls` rows, and (in long-running engines)
// the watcher that turns QMP events into vm.state and applies restart policies.
import type { EngineContext, EngineModule } from '../context.js';
import { EventBus } from '../rpc/bus.js';
import { resolvePaths } from '../sys/paths.js';
import type { VmContext } from './context.js';
import { acceleratorOnce } from './accelerator.js';
import { runAsUser } from './confine.js';
import type { RunAs } from './confine.js';
import { cloneVm } from './clone.js';
import { createDisk, diskInfo, importDisk, resizeDisk } from './disks.js';
import { createVm, deleteVm, destroyVm, inspectVm, listVms, serialLines, updateVm } from './lifecycle.js';
import { migrateVm, receiveVm } from './migrate.js';
import { attachNic, detachNic } from './nics.js';
import { attachUsb, detachUsb, listHostUsb } from './usb-attach.js';
import { pauseVm, resetVm, restartVm, resumeVm, startVm, stopVm } from './power.js';
import { PRESETS, renderPreset } from '../../shared/presets.js';
import { createSnapshot, deleteSnapshot, listSnapshots, restoreSnapshot } from './snapshots.js';
import { snapshotChains } from './snapshot-chain.js';
import { absolutize, layoutOf, loadRecord, readRuntime, vmDir } from './store.js';
import { VmWatcher } from './watcher.js';
import { vmInfoOf } from './info.js';
import { vmRows } from './rows.js';
import { sshTarget } from './ssh.js';
import { guestExec, guestInfo } from './guest.js';
import { vmAddresses } from './addresses.js';
import { guestMemory } from './guest-memory.js';
import { balloon, screenshot } from './extras.js';
import { StatsSampler } from './stats.js';
import { NovaError } from '../../shared/errors.js';
import { consolePath } from '../../shared/bridge.js';
import { processState } from './state.js';

export function vmContext(engine: EngineContext): VmContext {
  const accelerator = acceleratorOnce(engine);
  let runAs: RunAs | undefined;
  return {
    paths: engine.paths,
    runner: engine.runner,
    bus: engine.bus,
    tasks: engine.tasks,
    accelerator,
    call: (method, input) => engine.call(method, input),
    runAs: () => (runAs ??= runAsUser(engine.env)),
    ...(engine.env.NOVA_NETNS ? { netns: engine.env.NOVA_NETNS } : {}),
  };
}

/** The same backend for another Nova home on this machine (localhost migration target). */
function contextForHome(ctx: VmContext, home: string): VmContext {
  return { ...ctx, paths: resolvePaths({ NOVA_HOME: home }), bus: new EventBus(), call: () => Promise.reject(new NovaError('HOST_UNSUPPORTED', 'other Nova homes only support user-mode networking here')) };
}

export const vmModule: EngineModule = {
  name: 'vm',
  install(engine) {
    const ctx = vmContext(engine);
    const d = engine.dispatcher;
    const info = async (name: string) => inspectVm(ctx, name);

    d.handle('vm.list', async (i) => ({ items: await listVms(ctx, i.project) }));
    d.handle('vm.create', (i) => createVm(ctx, { name: i.name, spec: i.spec, ...(i.project ? { project: i.project } : {}), ...(i.baseDir ? { baseDir: i.baseDir } : {}) }));
    d.handle('vm.update', (i) => updateVm(ctx, { name: i.name, spec: i.spec, ...(i.project ? { project: i.project } : {}), ...(i.baseDir ? { baseDir: i.baseDir } : {}) }));
    d.handle('vm.inspect', async (i) => {
      const v = await info(i.name);
      if (v.state !== 'running') return v;
      const guest = await guestInfo(ctx, i.name);
      const memory = await guestMemory(ctx, i.name, guest.agent);
      return { ...v, guest, ...(memory ? { guestMemory: memory } : {}) };
    });
    d.handle('vm.addresses', (i) => vmAddresses(ctx, i.name));
    d.handle('vm.start', async (i) => {
      const state = await startVm(ctx, i.name);
      return vmInfoOf(ctx, await loadRecord(ctx.paths, i.name), { state });
    });
    d.handle('vm.stop', async (i) => {
      const stoppedBy = await stopVm(ctx, i.name, { force: i.force ?? false, ...(i.timeoutMs !== undefined ? { timeoutMs: i.timeoutMs } : {}) });
      return { ...(await info(i.name)), stoppedBy };
    });
    d.handle('vm.exec', (i) => guestExec(ctx, i.name, i.command, { ...(i.input !== undefined ? { input: i.input } : {}), ...(i.timeoutMs !== undefined ? { timeoutMs: i.timeoutMs } : {}) }));
    d.handle('vm.ssh', (i) => sshTarget(ctx, i.name, { ...(i.user ? { user: i.user } : {}), ...(i.command ? { command: i.command } : {}) }));
    d.handle('vm.restart', async (i) => (await restartVm(ctx, i.name), info(i.name)));
    d.handle('vm.reset', async (i) => (await resetVm(ctx, i.name), info(i.name)));
    d.handle('vm.pause', async (i) => (await pauseVm(ctx, i.name), info(i.name)));
    d.handle('vm.resume', async (i) => (await resumeVm(ctx, i.name), info(i.name)));
    d.handle('vm.destroy', (i) => destroyVm(ctx, i.name));
    d.handle('vm.delete', (i) => deleteVm(ctx, i.name, i.disks ?? false));
    d.handle('vm.nic.attach', (i) => attachNic(ctx, i.name, i.network, i.ports));
    d.handle('vm.nic.detach', (i) => detachNic(ctx, i.name, i.network));
    d.handle('usb.list', () => listHostUsb(ctx));
    d.handle('vm.usb.attach', (i) => attachUsb(ctx, i.name, i.device));
    d.handle('vm.usb.detach', (i) => detachUsb(ctx, i.name, i.device));
    d.handle('vm.logs', (i) => serialLines(ctx, i.name, i.tail));
    d.handle('vm.console', async (i) => {
      const rec = await loadRecord(ctx.paths, i.name);
      const st = await processState(ctx.paths, rec);
      const rt = await readRuntime(ctx.paths, i.name);
      if (st.state === 'stopped' || st.state === 'crashed' || !rt) throw new NovaError('CONFLICT', `VM ${i.name} is ${st.state}; the console exists while it runs`);
      const l = layoutOf(ctx.paths, i.name);
      return { name: i.name, path: consolePath(i.name), vncSocket: l.vncSocket, serialLog: l.serialLog };
    });
    const sampler = new StatsSampler();
    d.handle('vm.stats', (i) => sampler.sample(ctx, i.name));
    d.handle('vm.balloon', (i) => balloon(ctx, i.name, i.target));
    d.handle('vm.screenshot', (i) => screenshot(ctx, i.name, i.path));
    d.handle('vm.snapshot.create', (i) => createSnapshot(ctx, i.name, i.tag, i.external ?? false));
    d.handle('vm.snapshot.list', async (i) => ({ name: i.name, snapshots: await listSnapshots(ctx, i.name), chain: await snapshotChains(ctx.runner, await loadRecord(ctx.paths, i.name), vmDir(ctx.paths, i.name)) }));
    d.handle('vm.snapshot.restore', (i) => restoreSnapshot(ctx, i.name, i.tag));
    d.handle('vm.snapshot.delete', (i) => deleteSnapshot(ctx, i.name, i.tag));
    d.handle('vm.clone', (i) => cloneVm(ctx, i.source, i.name, { full: i.full ?? false, ...(i.project ? { project: i.project } : {}) }));
    d.handle('vm.migrate', (i, c) => migrateVm(ctx, i.name, i.to, (home) => contextForHome(ctx, home), c.signal));
    d.handle('vm.receive', (i) => receiveVm(ctx, { ...i, spec: i.spec }));
    const abs = (p: string) => absolutize(process.cwd(), p);
    d.handle('vm.disk.create', (i) => createDisk(ctx.runner, abs(i.path), i.size, i.format, i.backing ? { path: abs(i.backing), format: 'qcow2' } : undefined));
    d.handle('vm.disk.import', (i, c) => engine.tasks.run(`import ${i.source}`, (t) => importDisk(ctx.runner, abs(i.source), abs(i.path), i.format, t.signal), c.signal ? { signal: c.signal } : {}));
    d.handle('vm.disk.resize', (i) => resizeDisk(ctx.runner, abs(i.path), i.size));
    d.handle('vm.disk.info', (i) => diskInfo(ctx.runner, abs(i.path)));
    d.handle('vm.presets', () => ({ presets: PRESETS }));
    d.handle('vm.wizard', (i) => {
      const r = renderPreset({ ...i, ...(i.memory !== undefined ? { memory: i.memory } : {}), ...(i.diskSize !== undefined ? { diskSize: i.diskSize } : {}) });
      return { name: i.name, preset: i.preset, ...r };
    });

    engine.resources.provide('vm', () => vmRows(ctx));
    // Long-running engines only (the app, `nova serve`): QMP events → vm.state, restart policies.
    let watcher: VmWatcher | undefined;
    return {
      start: async () => {
        watcher = new VmWatcher(ctx);
        watcher.start();
      },
      close: async () => {
        watcher?.stop();
        watcher = undefined;
      },
    };
  },
};

// Start, stop, pause, resume, reset: each under the VM's lock so the GUI, the CLI and the
// server never interleave operations on one VM. State is re-derived after every step.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';
import { parsePortForward } from '../../shared/schemas/fields.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { withReverter } from '../sys/reverter.js';
import { buildVmConfig, renderArgv } from './config/build.js';
import { vmFeatures } from './config/features.js';
import type { ResolvedNic } from './config/types.js';
import { ovmfFiles } from './context.js';
import type { VmContext } from './context.js';
import { checkFiles } from './files.js';
import { cont, queryStatus, quit, stop as qmpStop, systemPowerdown, systemReset } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { ensureVarsFile, freeLoopbackPort, killVerified, launchQemu, startSwtpm, stopSwtpm, waitForExit } from './process.js';
import { deriveState, livePid, markerPath } from './state.js';
import type { Marker } from './state.js';
import { layoutOf, loadRecord, resolveDisks, resolveIsos, runtimeDir, absolutize } from './store.js';
import type { RuntimeInfo, VmRecord } from './store.js';
import { writeJsonAtomic } from '../sys/atomic.js';

export const vmLock = <T>(ctx: VmContext, name: string, fn: () => Promise<T>, holder = 'vm operation') =>
  withLock(lockPath(ctx.paths, 'vm', name), fn, { timeoutMs: 120_000, holder: `${holder} ${name}` });

async function setMarker(ctx: VmContext, name: string, m: Marker, value: string): Promise<void> {
  await mkdir(runtimeDir(ctx.paths, name), { recursive: true, mode: 0o700 });
  await writeFile(markerPath(ctx.paths, name, m), `${value}\n`);
}
const clearMarker = (ctx: VmContext, name: string, m: Marker) => rm(markerPath(ctx.paths, name, m), { force: true });

export function publish(ctx: VmContext, name: string, state: string, reason?: string): void {
  ctx.bus.emit('vm.state', { name, state, ...(reason ? { reason } : {}) });
  ctx.bus.emit('resource.changed', { kind: 'vm', name, state, ...(reason ? { reason } : {}) });
}

export function swtpmPaths(ctx: VmContext, name: string) {
  const l = layoutOf(ctx.paths, name);
  return { stateDir: l.tpmState, socket: l.tpmSocket, pidfile: l.swtpmPid, log: `${runtimeDir(ctx.paths, name)}/swtpm.log` };
}

/** Removes what a dead QEMU left behind (stale pidfile, sockets, swtpm). */
export async function clearRuntime(ctx: VmContext, rec: VmRecord): Promise<void> {
  const l = layoutOf(ctx.paths, rec.name);
  await stopSwtpm(swtpmPaths(ctx, rec.name));
  for (const f of [l.pidfile, l.qmp, l.qmpEvents, l.vncSocket, l.runtimeInfo]) await rm(f, { force: true });
  await clearMarker(ctx, rec.name, 'stopping');
}

async function resolveNic(ctx: VmContext, rec: VmRecord): Promise<ResolvedNic> {
  const net = rec.spec.network;
  if (net === 'none') return { kind: 'none' };
  if (net === undefined || net === 'user') return { kind: 'user', mac: rec.mac, ports: rec.spec.ports.map(parsePortForward) };
  if (!ctx.has('network.attach')) {
    throw new NovaError('HOST_UNSUPPORTED', `VM ${rec.name}: network = "${net}" needs the networks backend (network.attach), which this build lacks; use network = "user" for now`);
  }
  const att = (await ctx.call('network.attach', { network: net, owner: { kind: 'vm', name: rec.name }, mac: rec.mac })) as { ifname: string; mac: string };
  return { kind: 'tap', ifname: att.ifname, mac: att.mac || rec.mac, network: net };
}

async function resolveVfio(ctx: VmContext, rec: VmRecord): Promise<string[]> {
  if (!rec.spec.gpu_passthrough && !rec.spec.gpu) return [];
  if (!ctx.has('gpu.resolveForVm')) {
    throw new NovaError('HOST_UNSUPPORTED', `VM ${rec.name}: GPU passthrough needs the GPU backend (gpu.resolveForVm), which this build lacks; set gpu_passthrough = false to start without it`);
  }
  const r = (await ctx.call('gpu.resolveForVm', { vm: rec.name, ...(rec.spec.gpu ? { gpu: rec.spec.gpu } : {}) })) as { addresses?: string[] };
  return r.addresses ?? [];
}

export interface StartOptions {
  /** Start as a live-migration destination listening on this URI. */
  incoming?: string;
}

export async function startVm(ctx: VmContext, name: string, opts: StartOptions = {}): Promise<void> {
  await vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const cur = await deriveState(ctx.paths, rec);
    if (cur.state === 'running' || cur.state === 'paused' || cur.state === 'starting' || cur.state === 'shutting-down') {
      throw new NovaError('CONFLICT', `VM ${name} is already ${cur.state}${cur.pid ? ` (pid ${cur.pid})` : ''}`);
    }
    await checkFiles(rec);
    const accel = await ctx.accelerator();
    if (accel.kind === 'none') throw new NovaError('HOST_UNSUPPORTED', `cannot run VMs here: ${accel.reason}`);
    await clearRuntime(ctx, rec);
    const layout = layoutOf(ctx.paths, name);
    await mkdir(runtimeDir(ctx.paths, name), { recursive: true, mode: 0o700 });
    await setMarker(ctx, name, 'starting', String(process.pid));
    await clearMarker(ctx, name, 'user-stop');
    await clearMarker(ctx, name, 'migrated');
    publish(ctx, name, 'starting');
    try {
      await withReverter(async (r) => {
        const f = vmFeatures(rec.spec);
        const ovmf = ovmfFiles();
        if (f.uefi) await ensureVarsFile(layout.varsFile, f.secureBoot ? ovmf.msVars : ovmf.vars);
        if (f.tpm) {
          await startSwtpm(ctx.runner, swtpmPaths(ctx, name));
          r.add(() => stopSwtpm(swtpmPaths(ctx, name)), 'stop swtpm');
        }
        const nic = await resolveNic(ctx, rec);
        const vfio = await resolveVfio(ctx, rec);
        const vncPort = await freeLoopbackPort();
        const config = buildVmConfig(
          {
            name, uuid: rec.uuid, spec: rec.spec, disks: resolveDisks(rec), isos: resolveIsos(rec),
            ...(rec.spec.kernel ? { kernel: absolutize(rec.baseDir, rec.spec.kernel) } : {}),
            ...(rec.spec.initrd ? { initrd: absolutize(rec.baseDir, rec.spec.initrd) } : {}),
            nic, vfio, vncWebsocketPort: vncPort, layout, incoming: Boolean(opts.incoming),
          },
          { accel: accel.kind as 'kvm' | 'tcg', ovmf },
        );
        const argv = renderArgv(config);
        const info: RuntimeInfo = {
          accel: accel.kind as 'kvm' | 'tcg', accelReason: accel.reason, vncPort, argv, startedAt: Date.now(),
          nic: nic.kind === 'tap' ? { kind: 'tap', network: nic.network, ifname: nic.ifname } : { kind: nic.kind },
          ...(opts.incoming ? { incoming: opts.incoming } : {}),
        };
        await writeJsonAtomic(layout.runtimeInfo, info);
        const pid = await launchQemu(ctx.runner, argv, layout.pidfile);
        r.add(async () => {
          await killVerified(pid, ['qemu-system', rec.uuid]);
          await waitForExit(pid, 5000);
          await rm(layout.pidfile, { force: true });
        }, 'kill qemu');
        await writeJsonAtomic(layout.runtimeInfo, { ...info, pid });
        const st = await withQmp(layout.qmp, queryStatus);
        const expected = opts.incoming ? 'inmigrate' : 'running';
        if (st.status !== expected) throw new NovaError('INTERNAL', `QEMU started but reports "${st.status}" instead of "${expected}"`);
      });
    } finally {
      await clearMarker(ctx, name, 'starting');
    }
    const after = await deriveState(ctx.paths, rec);
    publish(ctx, name, after.state, after.reason);
  }, 'start');
}

export interface StopOptions {
  force?: boolean;
  timeoutMs?: number;
  /** Why: 'user' stops are never undone by restart policies. */
  byUser?: boolean;
}

export async function stopVm(ctx: VmContext, name: string, opts: StopOptions = {}): Promise<void> {
  await vmLock(ctx, name, () => stopLocked(ctx, name, opts), 'stop');
}

/** Stop with the VM lock already held (delete, destroy and restart reuse it). */
export async function stopLocked(ctx: VmContext, name: string, opts: StopOptions = {}): Promise<void> {
  const rec = await loadRecord(ctx.paths, name);
  const layout = layoutOf(ctx.paths, name);
  const pid = await livePid(ctx.paths, rec);
  if (pid === undefined) {
    await clearRuntime(ctx, rec);
    if (opts.byUser !== false) await setMarker(ctx, name, 'user-stop', new Date().toISOString());
    publish(ctx, name, 'stopped');
    return;
  }
  if (opts.byUser !== false) await setMarker(ctx, name, 'user-stop', new Date().toISOString());
  let gone = false;
  if (!opts.force) {
    await setMarker(ctx, name, 'stopping', String(Date.now()));
    publish(ctx, name, 'shutting-down', 'ACPI power-down sent');
    try {
      await withQmp(layout.qmp, async (q) => {
        const st = await queryStatus(q);
        if (st.status === 'paused') await cont(q); // a frozen guest cannot hear the power button
        await systemPowerdown(q);
      });
      gone = await waitForExit(pid, opts.timeoutMs ?? 60_000);
    } catch {
      /* QMP unusable: fall through to quit/kill */
    }
  }
  if (!gone) {
    await withQmp(layout.qmp, quit, { greetingTimeoutMs: 3000 }).catch(() => undefined);
    gone = await waitForExit(pid, 5000);
  }
  if (!gone) {
    await killVerified(pid, ['qemu-system', rec.uuid]);
    gone = await waitForExit(pid, 5000);
    if (!gone) throw new NovaError('INTERNAL', `QEMU pid ${pid} of VM ${name} survived SIGKILL`);
  }
  await clearRuntime(ctx, rec);
  publish(ctx, name, 'stopped', opts.force ? 'forced stop' : undefined);
}

async function withRunning<T>(ctx: VmContext, name: string, fn: (qmpPath: string, rec: VmRecord) => Promise<T>): Promise<T> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await deriveState(ctx.paths, rec);
  if (st.state !== 'running' && st.state !== 'paused') {
    throw new NovaError('CONFLICT', `VM ${name} is ${st.state}; start it first (\`nova vm start ${name}\`)`);
  }
  return fn(layoutOf(ctx.paths, name).qmp, rec);
}

export async function pauseVm(ctx: VmContext, name: string): Promise<void> {
  await withRunning(ctx, name, (qmp) => withQmp(qmp, qmpStop));
  publish(ctx, name, 'paused');
}

export async function resumeVm(ctx: VmContext, name: string): Promise<void> {
  await withRunning(ctx, name, (qmp) => withQmp(qmp, cont));
  publish(ctx, name, 'running');
}

export async function resetVm(ctx: VmContext, name: string): Promise<void> {
  await withRunning(ctx, name, (qmp) => withQmp(qmp, systemReset));
  publish(ctx, name, 'running', 'reset');
}

export async function restartVm(ctx: VmContext, name: string): Promise<void> {
  await vmLock(ctx, name, () => stopLocked(ctx, name, { byUser: false }), 'restart');
  await startVm(ctx, name);
}

export const runtimeExists = (ctx: VmContext, name: string) => existsSync(runtimeDir(ctx.paths, name));

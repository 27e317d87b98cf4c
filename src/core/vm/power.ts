// Start, stop, pause, resume, reset: each under the VM's lock so the GUI, the CLI and the
// server never interleave operations on one VM. State is re-derived after every step.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { withReverter } from '../sys/reverter.js';
import { buildVmConfig, renderArgv } from './config/build.js';
import { vmFeatures } from './config/features.js';
import type { ExtraNic, ResolvedNic } from './config/types.js';
import { ovmfFiles } from './context.js';
import { declaredNics, forwards } from './nic-spec.js';
import type { DeclaredNic } from './nic-spec.js';
import type { VmContext } from './context.js';
import { checkFiles, checkHugepages } from './files.js';
import { cont, queryStatus, quit, stop as qmpStop, systemPowerdown, systemReset } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { prepareConfined } from './confine.js';
import { ensureVarsFile, killVerified, launchQemu, launchQemuDetached, startSwtpm, stopSwtpm, waitForExit } from './process.js';
import { agentShutdown } from './guest.js';
import { deriveState, livePid, markerPath, processState } from './state.js';
import type { DerivedState } from './state.js';
import type { Marker } from './state.js';
import { layoutOf, loadRecord, readRuntime, resolveDisks, resolveIsos, runtimeDir, absolutize, writeRuntime, saveRecord, vmDir } from './store.js';
import { buildSeed } from './cloud-init.js';
import { assistInstallCd, serialLogSize } from './cd-prompt.js';
import type { SeedExtras } from './cloud-init.js';
import { ensureClientKey, ensureHostKey } from './ssh-keys.js';
import { resolveDeclaredUsb } from './usb.js';
import { checkShareFolders, resolveShares, shareHost, startVirtiofsd, stopVirtiofsd } from './shares.js';
import type { RuntimeInfo, VmRecord } from './store.js';

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
  return { stateDir: l.tpmState, socket: l.tpmSocket, pidfile: l.swtpmPid, log: l.swtpmLog };
}

/** Removes what a dead QEMU left behind (stale pidfile, sockets, swtpm). */
export async function clearRuntime(ctx: VmContext, rec: VmRecord): Promise<void> {
  const l = layoutOf(ctx.paths, rec.name);
  const rt = await readRuntime(ctx.paths, rec.name);
  await stopVirtiofsd(rt?.virtiofsd, rt?.shares ?? []);
  await Promise.all([
    stopSwtpm(swtpmPaths(ctx, rec.name)),
    ...[l.pidfile, join(l.markers, 'qemu.pid'), l.qmp, l.qmpEvents, l.vncSocket, l.qgaSocket, l.runtimeInfo].map((f) => rm(f, { force: true })),
    clearMarker(ctx, rec.name, 'stopping'),
    releaseGpus(ctx, rec),
  ]);
}

/** Gives the GPUs bound for this VM back to their host drivers once QEMU is gone. */
async function releaseGpus(ctx: VmContext, rec: VmRecord): Promise<void> {
  if (!rec.spec.gpu_passthrough && !rec.spec.gpu) return;
  await ctx.call('gpu.releaseForVm', { vm: rec.name }).catch(() => undefined);
}

/** One declared NIC: user-mode NAT, or a TAP the networks backend makes on the switch. */
async function resolveNic(ctx: VmContext, rec: VmRecord, n: DeclaredNic | undefined, addresses: Record<string, string> = {}): Promise<ResolvedNic> {
  if (!n) return { kind: 'none' };
  const device = n.device === 'virtio-net-pci' ? {} : { device: n.device };
  if (n.network === 'user') return { kind: 'user', mac: n.mac, ports: forwards(n), ...device };
  const ip = Object.hasOwn(addresses, n.network) ? addresses[n.network] : undefined;
  const att = await ctx.call('network.attach', { network: n.network, owner: { kind: 'vm', name: rec.name }, mac: n.mac, ...(ip ? { ip } : {}), ports: n.ports });
  return { kind: 'tap', ifname: att.ifname, mac: att.mac || n.mac, network: n.network, ...device, ...(att.mtu ? { mtu: att.mtu } : {}) };
}

/**
 * The NICs on more switches (vm.nic.attach): their TAPs made (again) by the networks backend. A
 * switch that no longer exists is left out and said so (the rest of the VM still starts).
 */
async function resolveExtraNics(ctx: VmContext, rec: VmRecord): Promise<{ nics: ExtraNic[]; errors: Record<string, string> }> {
  const nics: ExtraNic[] = [];
  const errors: Record<string, string> = {};
  for (const n of rec.nics ?? []) {
    try {
      const att = await ctx.call('network.attach', { network: n.network, owner: { kind: 'vm', name: rec.name }, mac: n.mac, ports: n.ports ?? [] });
      nics.push({ network: n.network, mac: att.mac || n.mac, ifname: att.ifname, ...(att.mtu ? { mtu: att.mtu } : {}) });
    } catch (e) {
      if ((e as NovaError).code !== 'NOT_FOUND') throw e;
      errors[n.network] = `network "${n.network}" does not exist (detach it: \`nova vm nic detach ${rec.name} ${n.network}\`)`;
    }
  }
  return { nics, errors };
}

/** Nova's client key and the VM's pinned host key for a generated #cloud-config (not for the user's own user_data). */
async function seedExtras(ctx: VmContext, rec: VmRecord, macs: string[]): Promise<SeedExtras> {
  if (rec.spec.cloud_init?.user_data) return { macs };
  const [client, host] = await Promise.all([ensureClientKey(ctx.runner, ctx.paths), ensureHostKey(ctx.runner, vmDir(ctx.paths, rec.name), rec.name)]);
  return { macs, novaKey: client.public, hostKey: { private: host.privateText, public: host.public } };
}

const runtimeNic = (n: ResolvedNic): { kind: 'user' | 'tap'; network: string; mac: string; ifname?: string } =>
  n.kind === 'tap' ? { kind: 'tap', network: n.network, mac: n.mac, ifname: n.ifname } : { kind: 'user', network: 'user', mac: n.kind === 'user' ? n.mac : '' };

/** GPU passthrough through the GPU backend: which host functions, bound to vfio-pci now. */
async function resolveVfio(ctx: VmContext, rec: VmRecord): Promise<{ devices: string[]; pciMmio64Mb?: number }> {
  if (!rec.spec.gpu_passthrough && !rec.spec.gpu) return { devices: [] };
  const r = await ctx.call('gpu.resolveForVm', {
    vm: rec.name,
    onBlocked: 'report',
    gpu_passthrough: true,
    ...(rec.spec.gpu ? { gpu: rec.spec.gpu } : {}),
    memoryBytes: rec.spec.memory,
    ...(rec.spec.hugepages !== undefined ? { hugepages: rec.spec.hugepages } : {}),
    bind: true,
  });
  if (r.blocked) throw new NovaError('CONFLICT', `VM ${rec.name}: GPU passthrough is blocked — ${r.reason ?? 'see `nova gpu list`'}`, { field: 'gpu' });
  if (r.devices.length === 0) throw new NovaError('INVALID_INPUT', `VM ${rec.name}: gpu_passthrough is on but no GPU can be passed through (see \`nova gpu list\`)`, { field: 'gpu_passthrough' });
  return { devices: r.devices, ...(r.qemu.pciMmio64Mb ? { pciMmio64Mb: r.qemu.pciMmio64Mb } : {}) };
}

export interface StartOptions {
  /** Start as a live-migration destination listening on this URI. */
  incoming?: string;
  /** With `incoming`: the guest stays paused once it arrived, until `cont` (cross-host moves resume it at commit). */
  incomingPaused?: boolean;
  /** Addresses the VM keeps on its switches (network → IPv4), e.g. moving in from another host. */
  addresses?: Record<string, string>;
}

/** Starts QEMU and returns the state QMP reported (so callers need no second round trip). */
export async function startVm(ctx: VmContext, name: string, opts: StartOptions = {}): Promise<DerivedState> {
  // Read-only host facts overlap with taking the lock (a one-shot CLI probes `qemu --version`).
  const accelerator = ctx.accelerator();
  accelerator.catch(() => undefined);
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const cur = await processState(ctx.paths, rec);
    if (cur.state === 'running' || cur.state === 'paused' || cur.state === 'starting' || cur.state === 'shutting-down') {
      throw new NovaError('CONFLICT', `VM ${name} is already ${cur.state}${cur.pid ? ` (pid ${cur.pid})` : ''}`);
    }
    checkShareFolders(rec);
    const [, accel] = await Promise.all([checkFiles(rec), accelerator, rec.spec.hugepages ? checkHugepages(rec.spec.memory) : undefined]);
    if (accel.kind === 'none') throw new NovaError('HOST_UNSUPPORTED', `cannot run VMs here: ${accel.reason}`);
    await mkdir(runtimeDir(ctx.paths, name), { recursive: true, mode: 0o700 });
    // Only the owner may reach its sockets (QMP, VNC): mkdir keeps an existing folder's mode.
    await chmod(runtimeDir(ctx.paths, name), 0o700);
    await clearRuntime(ctx, rec);
    const layout = layoutOf(ctx.paths, name);
    if (Buffer.byteLength(layout.qmpEvents) > 107) {
      throw new NovaError('HOST_UNSUPPORTED', `the runtime dir ${runtimeDir(ctx.paths, name)} is too long for unix sockets (108 bytes); use a shorter NOVA_HOME / XDG_RUNTIME_DIR or VM name`);
    }
    await Promise.all([setMarker(ctx, name, 'starting', String(process.pid)), clearMarker(ctx, name, 'user-stop'), clearMarker(ctx, name, 'migrated')]);
    publish(ctx, name, 'starting');
    let started: DerivedState;
    let installCdFrom: number | undefined; // a UEFI install boot: where its serial output starts
    try {
      started = await withReverter(async (r) => {
        const f = vmFeatures(rec.spec);
        const ovmf = ovmfFiles();
        if (f.uefi) await ensureVarsFile(layout.varsFile, f.secureBoot ? ovmf.msVars : ovmf.vars);
        const runAs = ctx.runAs?.();
        // The scratch folder holds QEMU's pidfile: the run-as user's for a confined QEMU, else ours.
        if (runAs) await prepareConfined(ctx.paths, rec, runAs, r, { tpm: f.tpm });
        else await mkdir(layout.scratch, { recursive: true, mode: 0o700 });
        if (f.tpm) {
          await startSwtpm(ctx.runner, { ...swtpmPaths(ctx, name), ...(runAs ? { runAs: runAs.user } : {}) });
          r.add(() => stopSwtpm(swtpmPaths(ctx, name)), 'stop swtpm');
        }
        const shareHostFacts = shareHost();
        const shares = resolveShares(ctx.paths, rec, shareHostFacts);
        const virtiofsd = await startVirtiofsd(shareHostFacts, shares, runtimeDir(ctx.paths, name), r, runAs);
        const usb = await resolveDeclaredUsb(ctx, name, rec.spec.usb ?? []);
        const declared = declaredNics(rec, f.windows);
        const nic = await resolveNic(ctx, rec, declared[0], opts.addresses);
        const more: ResolvedNic[] = [];
        for (const n of declared.slice(1)) more.push(await resolveNic(ctx, rec, n, opts.addresses));
        const extra = await resolveExtraNics(ctx, rec);
        const vfio = await resolveVfio(ctx, rec);
        // cloud-init's NoCloud seed rides along on the first boot only (firstBootAt records it).
        const firstBoot = !rec.firstBootAt && !opts.incoming;
        const macs = [nic, ...more].flatMap((n) => (n.kind === 'none' || !n.mac ? [] : [n.mac])).concat(extra.nics.map((n) => n.mac));
        const seed = rec.spec.cloud_init && firstBoot ? await buildSeed(ctx.runner, vmDir(ctx.paths, name), rec, rec.spec.cloud_init, await seedExtras(ctx, rec, macs)) : undefined;
        // install = true: the installer ISOs boot first on the first start, then the disks alone.
        const isos = rec.spec.install && !firstBoot ? [] : resolveIsos(rec);
        const config = buildVmConfig(
          {
            name, uuid: rec.uuid, spec: rec.spec, disks: resolveDisks(rec), isos, ...(seed ? { seed } : {}), cdFirst: Boolean(rec.spec.install && firstBoot),
            ...(rec.spec.kernel ? { kernel: absolutize(rec.baseDir, rec.spec.kernel) } : {}),
            ...(rec.spec.initrd ? { initrd: absolutize(rec.baseDir, rec.spec.initrd) } : {}),
            nic, ...(more.length ? { moreNics: more } : {}), ...(shares.length ? { shares } : {}), ...(usb.length ? { usb } : {}), ...(extra.nics.length ? { extraNics: extra.nics } : {}), vfio: vfio.devices, ...(vfio.pciMmio64Mb ? { pciMmio64Mb: vfio.pciMmio64Mb } : {}),
            layout, incoming: Boolean(opts.incoming), ...(opts.incoming && opts.incomingPaused ? { incomingPaused: true } : {}),
          },
          { accel: accel.kind as 'kvm' | 'tcg', ovmf, ...(runAs ? { runAs: runAs.user } : {}) },
        );
        // A TAP lives in the networks backend's netns (NOVA_NETNS): QEMU must open it from there.
        // A VM without user-mode networking runs there too, so a TAP can be hot-plugged later.
        const anyTap = [nic, ...more].some((n) => n.kind === 'tap');
        const argv = (nic.kind !== 'user' || anyTap || extra.nics.length) && ctx.netns ? ['ip', 'netns', 'exec', ctx.netns, ...renderArgv(config)] : renderArgv(config);
        const info: RuntimeInfo = {
          accel: accel.kind as 'kvm' | 'tcg', accelReason: accel.reason, argv, startedAt: Date.now(),
          nic: nic.kind === 'tap' ? { kind: 'tap', network: nic.network, ifname: nic.ifname } : { kind: nic.kind },
          ...(more.length ? { declared: more.map(runtimeNic) } : {}),
          ...(shares.length ? { shares, virtiofsd } : {}),
          ...(usb.length ? { usb } : {}),
          ...(opts.incoming ? { incoming: opts.incoming } : {}),
          ...(runAs ? { runAs: runAs.user } : {}),
          ...(extra.nics.length ? { nics: extra.nics } : {}),
          ...(Object.keys(extra.errors).length ? { nicErrors: extra.errors } : {}),
        };
        if (rec.spec.install && firstBoot && f.uefi) installCdFrom = await serialLogSize(layout.serialLog);
        const pid = runAs
          ? await launchQemuDetached(argv, { pidfile: layout.pidfile, qmp: layout.qmp, log: layout.qemuLog })
          : await launchQemu(ctx.runner, argv, layout.pidfile, layout.qemuLog);
        r.add(async () => {
          await killVerified(pid, ['qemu-system', rec.uuid]);
          await waitForExit(pid, 5000);
          await rm(layout.pidfile, { force: true });
        }, 'kill qemu');
        const [st] = await Promise.all([withQmp(layout.qmp, queryStatus), writeRuntime(ctx.paths, name, { ...info, pid })]);
        const expected = opts.incoming ? 'inmigrate' : 'running';
        if (st.status !== expected) throw new NovaError('INTERNAL', `QEMU started but reports "${st.status}" instead of "${expected}"`);
        if (seed || (rec.spec.install && firstBoot)) await saveRecord(ctx.paths, { ...rec, firstBootAt: Date.now() });
        return opts.incoming
          ? { state: 'starting' as const, pid, qmpStatus: st.status, reason: 'waiting for an incoming live migration' }
          : { state: 'running' as const, pid, qmpStatus: st.status };
      });
    } finally {
      await clearMarker(ctx, name, 'starting');
    }
    publish(ctx, name, started.state, started.reason);
    if (installCdFrom !== undefined && started.pid) assistInstallCd(ctx, name, started.pid, installCdFrom);
    return started;
  }, 'start');
}

export interface StopOptions {
  force?: boolean;
  timeoutMs?: number;
  /** Why: 'user' stops are never undone by restart policies. */
  byUser?: boolean;
}

export async function stopVm(ctx: VmContext, name: string, opts: StopOptions = {}): Promise<StopMethod> {
  return vmLock(ctx, name, () => stopLocked(ctx, name, opts), 'stop');
}

export type StopMethod = 'guest-agent' | 'acpi' | 'quit' | 'kill' | 'not-running';

/** Stop with the VM lock already held (delete, destroy and restart reuse it); says how it went. */
export async function stopLocked(ctx: VmContext, name: string, opts: StopOptions = {}): Promise<StopMethod> {
  const rec = await loadRecord(ctx.paths, name);
  const layout = layoutOf(ctx.paths, name);
  const pid = await livePid(ctx.paths, rec);
  if (pid === undefined) {
    await clearRuntime(ctx, rec);
    if (opts.byUser !== false) await setMarker(ctx, name, 'user-stop', new Date().toISOString());
    publish(ctx, name, 'stopped');
    return 'not-running';
  }
  if (opts.byUser !== false) await setMarker(ctx, name, 'user-stop', new Date().toISOString());
  let how: StopMethod | undefined;
  if (!opts.force) {
    await setMarker(ctx, name, 'stopping', String(Date.now()));
    how = await gracefulStop(ctx, name, layout.qmp, pid, opts.timeoutMs ?? 60_000);
  }
  if (!how) {
    await withQmp(layout.qmp, quit, { greetingTimeoutMs: 3000 }).catch(() => undefined);
    if (await waitForExit(pid, 5000)) how = 'quit';
  }
  if (!how) {
    await killVerified(pid, ['qemu-system', rec.uuid]);
    if (!(await waitForExit(pid, 5000))) throw new NovaError('INTERNAL', `QEMU pid ${pid} of VM ${name} survived SIGKILL`);
    how = 'kill';
  }
  await clearRuntime(ctx, rec);
  publish(ctx, name, 'stopped', opts.force ? 'forced stop' : how === 'guest-agent' ? 'shut down by the guest agent' : undefined);
  return how;
}

/**
 * The guest shuts itself down: through its agent (guest-shutdown) when one answers, else the ACPI
 * power button. An agent that accepted but did not finish within half the time gets the button too.
 */
async function gracefulStop(ctx: VmContext, name: string, qmpPath: string, pid: number, timeoutMs: number): Promise<StopMethod | undefined> {
  try {
    const st = await withQmp(qmpPath, queryStatus);
    if (st.status === 'paused') await withQmp(qmpPath, cont); // a frozen guest can neither hear the button nor run its agent
    else if (st.status === 'running') {
      const agent = await agentShutdown(ctx, name);
      if (agent.sent) {
        publish(ctx, name, 'shutting-down', 'guest-shutdown sent to the guest agent');
        if (await waitForExit(pid, Math.floor(timeoutMs / 2))) return 'guest-agent';
      }
    }
    publish(ctx, name, 'shutting-down', 'ACPI power-down sent');
    await withQmp(qmpPath, systemPowerdown);
    return (await waitForExit(pid, timeoutMs)) ? 'acpi' : undefined;
  } catch {
    return undefined; // QMP unusable: quit/kill follow
  }
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

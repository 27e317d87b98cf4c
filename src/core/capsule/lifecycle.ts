import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { containerSpec } from '../../shared/schemas/novafile.js';
import type { ContainerSpec } from '../../shared/schemas/novafile.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { pidAlive } from '../sys/proc.js';
import { withReverter } from '../sys/reverter.js';
import type { EngineContext } from '../context.js';
import type { ImageStore } from './images/store.js';
import { capsuleInfo, publishState } from './info.js';
import { capsuleLayout } from './layout.js';
import type { CapsuleLayout } from './layout.js';
import { attachNetwork, planUserNetwork, releaseNetwork, wantsNetwork } from './network.js';
import { checkLimits, deviceOf, resolveUser, resolveVolumes } from './prepare.js';
import { getRecord, readRecord, writeRecord } from './records.js';
import type { CapsuleRecord } from './records.js';
import { writeQuick, writeQuickIfChanged } from './quickfile.js';
import { prepareOverlayDirs } from './rootfs.js';
import { resolveRuntime, runtimeArgv } from './runtime.js';
import { buildOciSpec, capsuleArgs, hostsFile, resolvConf } from './spec.js';
import { capsuleIsolation, refuseUnenforceableLimits } from './isolation.js';
import { cgroupDelegation } from './delegation.js';
import { removeTree } from './namespace-root.js';
import { isRootless, rootlessIds } from './rootless.js';
import { deriveStatus, runtimeOf } from './status.js';
import { startSupervised, supervisorPid } from './supervisor.js';
import { usernsHolder } from './userns-holder.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const withCapsuleLock = <T>(engine: EngineContext, name: string, fn: () => Promise<T>) =>
  withLock(lockPath(engine.paths, 'capsule', name), fn, { holder: `capsule ${name}`, timeoutMs: 120_000 });

const isPath = (s: string) => s.startsWith('/') || s.startsWith('./') || s.startsWith('../');

export interface CreateInput {
  name: string;
  spec: ContainerSpec;
  project?: string;
  baseDir?: string;
}

/** Creates the capsule's record after every check passed (image pulled if missing). Nothing on failure. */
export async function createCapsule(engine: EngineContext, store: ImageStore, input: CreateInput): Promise<CapsuleRecord> {
  const spec = containerSpec.parse(input.spec);
  const baseDir = resolve(input.baseDir ?? process.cwd());
  checkLimits(spec);
  if (await readRecord(engine.paths, input.name)) throw new NovaError('CONFLICT', `capsule "${input.name}" already exists; pick another name or \`nova capsule rm ${input.name}\``, { name: input.name });
  const runtime = await resolveRuntime(engine, spec.runtime);
  if (isRootless()) await rootlessIds(engine.env); // no subordinate ids: say how to get them, create nothing
  refuseUnenforceableLimits(spec, await cgroupDelegation(runtime.cgroup));
  await resolveVolumes(spec, baseDir);

  let image: CapsuleRecord['image'];
  if (isPath(spec.capsule)) {
    const rootfs = isAbsolute(spec.capsule) ? spec.capsule : resolve(baseDir, spec.capsule);
    if (!(await stat(rootfs).catch(() => undefined))?.isDirectory()) {
      throw new NovaError('INVALID_INPUT', `spec.capsule: ${rootfs} is not a directory; give an image ("busybox:1.36") or a rootfs folder`, { field: 'capsule' });
    }
    image = { ref: rootfs, rootfs, config: {} };
  } else {
    const img = (await store.find(spec.capsule)) ?? (await store.pull(spec.capsule));
    image = { ref: img.ref, digest: img.digest, rootfs: store.rootfsOf(img), config: img.config };
  }
  if (!capsuleArgs(spec, image.config)) {
    throw new NovaError('INVALID_INPUT', `spec.command: image ${image.ref} has no default command; set command = "…" or ["…"]`, { field: 'command' });
  }
  await resolveUser(image.rootfs, spec.user ?? image.config.user);

  return withCapsuleLock(engine, input.name, async () => {
    if (await readRecord(engine.paths, input.name)) throw new NovaError('CONFLICT', `capsule "${input.name}" already exists`, { name: input.name });
    const layout = capsuleLayout(engine.paths, input.name);
    const rec: CapsuleRecord = {
      name: input.name,
      id: `nova-${input.name.slice(0, 40)}-${randomBytes(4).toString('hex')}`,
      ...(input.project ? { project: input.project } : {}),
      spec,
      baseDir,
      createdAt: engine.clock.now(),
      runtime: runtime.name,
      image,
    };
    await withReverter(async (r) => {
      await mkdir(layout.dir, { recursive: true, mode: 0o700 });
      r.add(() => rm(layout.dir, { recursive: true, force: true }), 'capsule dir');
      for (const d of [layout.logs, layout.etc, layout.snapshots, layout.bundle]) await mkdir(d, { recursive: true, mode: 0o700 });
      // The supervisor reads the policy before each restart decision (capsule.update rewrites it).
      await writeQuick(layout.restartPolicy, `${spec.restart}\n`, 0o600);
      await writeRecord(engine.paths, rec);
    });
    return rec;
  });
}

async function writeEtc(layout: CapsuleLayout, rec: CapsuleRecord): Promise<{ hosts: string; hostname: string; resolv?: string }> {
  const hostname = rec.spec.hostname ?? rec.name;
  const files = { hosts: join(layout.etc, 'hosts'), hostname: join(layout.etc, 'hostname') } as { hosts: string; hostname: string; resolv?: string };
  if (rec.network?.dns) files.resolv = join(layout.etc, 'resolv.conf');
  await Promise.all([
    writeQuickIfChanged(files.hosts, hostsFile(hostname, rec.network?.ip)),
    writeQuickIfChanged(files.hostname, `${hostname}\n`),
    ...(files.resolv && rec.network?.dns ? [writeQuickIfChanged(files.resolv, resolvConf(rec.network.dns, rec.network.domain))] : []),
  ]);
  return files;
}

/** The supervisor only says "failed": the why is at the end of the capsule's log. */
async function withLogTail(layout: CapsuleLayout, e: unknown): Promise<never> {
  const tail = (await readFile(layout.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
  if (e instanceof NovaError && tail) throw new NovaError(e.code, `${e.message}:\n${tail}`, e.details);
  throw e;
}

export async function startCapsule(engine: EngineContext, name: string): Promise<CapsuleInfo> {
  return withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const st = await deriveStatus(engine, rec);
    if (st.state === 'running' || st.state === 'paused' || st.state === 'restarting') return capsuleInfo(engine, rec);
    const layout = capsuleLayout(engine.paths, name);
    const rt = await runtimeOf(engine, rec);
    if (!existsSync(rec.image.rootfs)) throw new NovaError('NOT_FOUND', `image rootfs ${rec.image.rootfs} is gone; pull ${rec.image.ref} again`, { image: rec.image.ref });
    const volumes = await resolveVolumes(rec.spec, rec.baseDir);
    const user = await resolveUser(rec.image.rootfs, rec.spec.user ?? rec.image.config.user);
    const iso = await capsuleIsolation(rt, rec.id);
    refuseUnenforceableLimits(rec.spec, iso.delegation);
    let pid = 0;
    await withReverter(async (r) => {
      await prepareOverlayDirs(layout);
      const network = wantsNetwork(rec);
      const recorded = JSON.stringify(rec.network);
      const userNet = iso.rootless
        ? await planUserNetwork(engine, rec, layout, (fn) => r.add(fn, 'network'), async () => {
            await writeRecord(engine.paths, rec);
            await writeEtc(layout, rec);
          })
        : undefined;
      // A pasta capsule's network is the same on every start: no second fsync'd write of an unchanged record.
      if (userNet && JSON.stringify(rec.network) !== recorded) await writeRecord(engine.paths, rec);
      else if (network) {
        rec.network = await attachNetwork(engine, rec, network, (fn) => r.add(fn, 'network'));
        await writeRecord(engine.paths, rec);
      }
      const etc = await writeEtc(layout, rec);
      const { cgroupsPath } = iso;
      const config = buildOciSpec({
        name,
        id: rec.id,
        spec: rec.spec,
        image: rec.image.config,
        volumes,
        user,
        ...(rec.network && !userNet ? { netnsPath: rec.network.netns } : {}),
        ...(userNet?.supervised ? { inheritNetns: true } : {}),
        etc,
        ...(rec.spec.limits.io ? { ioDevice: await deviceOf(layout.dir) } : {}),
        ...(cgroupsPath ? { cgroupsPath } : {}),
        ...(iso.userns ? { userns: iso.userns } : {}),
      });
      if (st.runtimeKnown) await engine.runner.run(runtimeArgv(rt, 'delete', '-f', rec.id), { allowFailure: true });
      // The supervisor clears the previous run's exit record, stop request and pid files itself.
      await writeQuickIfChanged(layout.config, JSON.stringify(config, null, 2), 0o600);
      // One user namespace per user, mapped once: the supervisor joins it (no setuid helpers per start).
      const holder = iso.rootless ? await usernsHolder(engine, iso.rootless) : undefined;
      const started = await startSupervised({
        id: rec.id,
        layout,
        runtime: rt,
        lower: rec.image.rootfs,
        ...(cgroupsPath ? { cgroupsPath } : {}),
        ...(iso.rootless ? { rootless: iso.rootless } : {}),
        ...(holder ? { holder } : {}),
        ...(userNet?.supervised ? { network: userNet.supervised } : {}),
      }).catch((e) => withLogTail(layout, e));
      pid = started.pid;
      r.add(() => stopLocked(engine, rec, 0), 'capsule process');
      // Only the first start touches the record (an fsync'd write); a run's own start time is
      // container.pid's mtime (see status.ts).
      if (!rec.startedAt) {
        rec.startedAt = engine.clock.now();
        await writeRecord(engine.paths, rec);
      }
    });
    // Just reported by the supervisor: no second runtime round trip.
    const info = await capsuleInfo(engine, rec, false, pid > 0 ? { state: 'running', pid, startedAt: engine.clock.now() } : undefined);
    publishState(engine, info);
    return info;
  });
}

/** Polls until the supervisor has exited (the capsule's process is gone and its exit recorded). */
async function waitStopped(engine: EngineContext, rec: CapsuleRecord, layout: CapsuleLayout, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const sup = await supervisorPid(layout);
    if (!sup) {
      const st = await deriveStatus(engine, rec);
      if (st.state !== 'running' && st.state !== 'paused') return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** SIGTERM, then SIGKILL after `timeoutS`; the restart policy does not bring it back. */
export async function stopLocked(engine: EngineContext, rec: CapsuleRecord, timeoutS: number): Promise<void> {
  const layout = capsuleLayout(engine.paths, rec.name);
  const rt = await runtimeOf(engine, rec);
  const st = await deriveStatus(engine, rec);
  if (st.state === 'running' || st.state === 'paused' || st.state === 'restarting') {
    await writeFile(layout.stopMarker, `${engine.clock.now()}\n`);
    if (st.state === 'paused') await engine.runner.run(runtimeArgv(rt, 'resume', rec.id), { allowFailure: true });
    if (timeoutS > 0) {
      await engine.runner.run(runtimeArgv(rt, 'kill', rec.id, 'TERM'), { allowFailure: true });
      if (await waitStopped(engine, rec, layout, timeoutS * 1000)) return finishStop(engine, rec);
    }
    // --all finds the processes through the capsule's cgroup, which a user's capsule may not
    // have; killing its pid 1 ends its whole pid namespace just as well.
    await engine.runner.run(runtimeArgv(rt, 'kill', ...(isRootless() ? [] : ['--all']), rec.id, 'KILL'), { allowFailure: true });
    if (!(await waitStopped(engine, rec, layout, 15_000))) {
      const sup = await supervisorPid(layout);
      if (sup) process.kill(sup, 'SIGKILL');
      throw new NovaError('TIMEOUT', `capsule ${rec.name} did not stop after SIGKILL`);
    }
  }
  await finishStop(engine, rec);
}

/** The supervisor deletes the container after the exit; this covers one that was killed. */
async function finishStop(engine: EngineContext, rec: CapsuleRecord): Promise<void> {
  const rt = await runtimeOf(engine, rec);
  await engine.runner.run(runtimeArgv(rt, 'delete', '-f', rec.id), { allowFailure: true });
}

export async function stopCapsule(engine: EngineContext, name: string, timeoutS: number): Promise<CapsuleInfo> {
  return withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    await stopLocked(engine, rec, timeoutS);
    const info = await capsuleInfo(engine, rec);
    publishState(engine, info);
    return info;
  });
}

export async function signalCapsule(engine: EngineContext, name: string, verb: 'pause' | 'resume' | 'kill', signal?: string): Promise<CapsuleInfo> {
  return withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const st = await deriveStatus(engine, rec);
    const ok = verb === 'resume' ? st.state === 'paused' : st.state === 'running' || (verb === 'kill' && st.state === 'paused');
    if (!ok) throw new NovaError('CONFLICT', `capsule ${name} is ${st.state}; ${verb} needs it ${verb === 'resume' ? 'paused' : 'running'}`, { state: st.state });
    const rt = await runtimeOf(engine, rec);
    const args = verb === 'kill' ? ['kill', rec.id, (signal ?? 'KILL').replace(/^SIG/, '')] : [verb, rec.id];
    await engine.runner.run(runtimeArgv(rt, ...args));
    if (verb === 'kill') await sleep(100);
    // Serving engines (this user's app, `nova serve`) see the pause at once by inotify.
    else await writeFile(capsuleLayout(engine.paths, name).freezerStamp, verb).catch(() => undefined);
    const info = await capsuleInfo(engine, rec);
    publishState(engine, info);
    return info;
  });
}

/** Removes everything of a capsule: process, runtime state, overlay, netns, cgroups, files. */
export async function removeCapsule(engine: EngineContext, name: string, force: boolean): Promise<void> {
  await withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const st = await deriveStatus(engine, rec);
    if ((st.state === 'running' || st.state === 'paused' || st.state === 'restarting') && !force) {
      throw new NovaError('CONFLICT', `capsule ${name} is ${st.state}: stop it first or use --force`, { state: st.state });
    }
    const layout = capsuleLayout(engine.paths, name);
    const sup = await supervisorPid(layout);
    await stopLocked(engine, rec, 0).catch(() => undefined);
    // The supervisor removes its pidfile just before it exits: wait for the process itself.
    for (let i = 0; sup && pidAlive(sup) && i < 100; i++) await sleep(20);
    if (sup && pidAlive(sup)) process.kill(sup, 'SIGKILL');
    await releaseNetwork(engine, rec);
    if (isRootless()) {
      // Files made inside belong to the capsule's subordinate ids.
      await removeTree(engine, layout.dir);
    } else {
      await removeCgroups(rec.id);
      await rm(layout.dir, { recursive: true, force: true });
    }
  });
  engine.bus.emit('resource.changed', { kind: 'capsule', name, state: 'removed' });
}

/** The runtime removes the cgroups with the container; this sweeps leftovers after a crash. */
async function removeCgroups(id: string): Promise<void> {
  const roots = ['/sys/fs/cgroup', ...(await readdir('/sys/fs/cgroup').catch(() => [] as string[])).map((c) => join('/sys/fs/cgroup', c))];
  for (const r of roots) {
    const p = join(r, 'nova', id);
    if (existsSync(p)) await rmdir(p).catch(() => undefined);
  }
}

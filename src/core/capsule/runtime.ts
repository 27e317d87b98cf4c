import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { detectCgroups } from '../host/cgroups.js';
import type { CgroupInfo } from '../host/cgroups.js';
import type { EngineContext } from '../context.js';
import { runtimeRoot } from './layout.js';
import { findBinary } from '../sys/which.js';

export type RuntimeName = 'crun' | 'runc';

/** The OCI runtime a capsule uses, and how to call it on this host. */
export interface Runtime {
  name: RuntimeName;
  path: string;
  /** --root: the runtime's state folder, per NOVA_HOME. */
  root: string;
  cgroup: CgroupInfo;
  /**
   * crun 1.8 refuses create/run on hybrid hosts whose v2 tree lists controllers; the verified
   * workaround runs those verbs in a private mount namespace without /sys/fs/cgroup/unified.
   */
  hideUnified: boolean;
}

let cgroupCache: Promise<CgroupInfo> | undefined;
/** Same detection as host.info().cgroup, without probing QEMU on every capsule start. */
export const hostCgroups = () => (cgroupCache ??= detectCgroups());

/** Picks crun (preferred) or runc; `wanted` pins one. Missing → HOST_UNSUPPORTED naming the package. */
export async function resolveRuntime(engine: Pick<EngineContext, 'paths' | 'env'>, wanted: 'auto' | RuntimeName): Promise<Runtime> {
  const order: RuntimeName[] = wanted === 'auto' ? ['crun', 'runc'] : [wanted];
  for (const name of order) {
    const path = await findBinary(name, engine.env);
    if (!path) continue;
    const cgroup = await hostCgroups();
    const hideUnified = name === 'crun' && cgroup.layout === 'hybrid' && cgroup.unifiedControllers.length > 0;
    return { name, path, root: runtimeRoot(engine.paths, name), cgroup, hideUnified };
  }
  throw new NovaError(
    'HOST_UNSUPPORTED',
    wanted === 'auto' ? 'no OCI runtime found: install the crun package (or runc)' : `runtime "${wanted}" is not installed: install the ${wanted} package or set runtime = "auto"`,
    { runtime: wanted },
  );
}

/** argv for a runtime verb (state, kill, pause, resume, exec, delete): never a shell string. */
export const runtimeArgv = (rt: Runtime, ...args: string[]): string[] => [rt.path, '--root', rt.root, ...args];

/**
 * argv prefix that runs a process in a fresh private mount namespace (slave propagation, so our
 * mounts made earlier are visible); the supervisor unmounts the unified v2 tree inside it.
 */
export const privateMountNs = (): string[] => ['unshare', '--mount', '--propagation', 'slave', '--'];

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped' | 'creating';
  pid?: number;
}

/**
 * Every container the runtime knows, in one `list` call: listing N capsules costs one process,
 * not N `state` calls (what keeps `nova ls` and a no-change `nova up` fast).
 */
export async function runtimeStates(engine: Pick<EngineContext, 'runner'>, rt: Runtime): Promise<Map<string, RuntimeState>> {
  const r = await engine.runner.run(runtimeArgv(rt, 'list', '--format', 'json'), { allowFailure: true, timeoutMs: 10_000 });
  const out = new Map<string, RuntimeState>();
  if (r.exitCode !== 0) return out;
  try {
    for (const c of (JSON.parse(r.stdout || 'null') ?? []) as { id: string; status?: string; pid?: number }[]) {
      out.set(c.id, { status: (c.status ?? 'stopped') as RuntimeState['status'], ...(c.pid ? { pid: c.pid } : {}) });
    }
  } catch {
    /* an unreadable list means "unknown": callers fall back to per-container state */
  }
  return out;
}

/** `crun|runc state ID`, or undefined when the runtime does not know the container. */
export async function runtimeState(engine: Pick<EngineContext, 'runner'>, rt: Runtime, id: string): Promise<RuntimeState | undefined> {
  // Both runtimes keep a <root>/<id> folder per container: no folder, nothing to ask (saves a process).
  if (!existsSync(join(rt.root, id))) return undefined;
  const r = await engine.runner.run(runtimeArgv(rt, 'state', id), { allowFailure: true, timeoutMs: 10_000 });
  if (r.exitCode !== 0) return undefined;
  try {
    const s = JSON.parse(r.stdout) as { status?: string; pid?: number };
    return { status: (s.status ?? 'stopped') as RuntimeState['status'], ...(s.pid ? { pid: s.pid } : {}) };
  } catch {
    return undefined;
  }
}

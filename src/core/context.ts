// What a backend area gets from the engine: host access (paths, runner, env, sysfs root), the
// spine (bus, tasks, clock), the privileged steps, and `call` — the one way to reach another
// area, typed by the contract. No area sees the Engine, the dispatcher or another area's files.
import type { Input, Method, Output } from '../shared/contract.js';
import type { DeviceOps } from './gpu/device-ops.js';
import type { HostProbe } from './host/probe.js';
import type { NetworkOps } from './network/ops.js';
import type { SystemOps } from './privilege/system-ops.js';
import type { PrefsStore } from './prefs/store.js';
import type { ResourceRegistry } from './resources/registry.js';
import type { EventBus } from './rpc/bus.js';
import type { Dispatcher } from './rpc/dispatcher.js';
import type { TaskRegistry } from './rpc/tasks.js';
import type { NovaPaths } from './sys/paths.js';
import type { Runner } from './sys/runner.js';

export interface Clock {
  now(): number;
}

/**
 * The privileged steps behind one interface: done by this process when it holds the capabilities,
 * otherwise by `nova privd` (src/core/privilege chooses, once per engine).
 */
export interface Privileged {
  readonly network: NetworkOps;
  /** VFIO moves of GPUs and the owner of /dev/vfio/N. */
  readonly devices: DeviceOps;
  /** Nova's files on the host (`nova system install/uninstall` without --destdir). */
  readonly system: SystemOps;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface EngineContext {
  readonly paths: NovaPaths;
  readonly runner: Runner;
  /** `/sys` in production; a fixture tree in GPU tests (NOVA_SYSFS_ROOT). */
  readonly sysfsRoot: string;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly bus: EventBus;
  readonly tasks: TaskRegistry;
  readonly prefs: PrefsStore;
  readonly host: HostProbe;
  /** Direct or through `nova privd`; decided on first use and kept. */
  readonly privileged: Privileged;
  /** Another area's procedure, in process: input checked, output as the contract types it; throws NovaError. */
  call<M extends Method>(method: M, input: Input<M>, opts?: CallOptions): Promise<Output<M>>;
}

/** What an area gets at install: the context plus where it registers procedures and `nova ls` rows. */
export interface InstallContext extends EngineContext {
  readonly dispatcher: Pick<Dispatcher, 'handle' | 'guard'>;
  readonly resources: ResourceRegistry;
}

/** What an area does while the engine runs: reconcile host state at start, release things at close. */
export interface ModuleLifecycle {
  /** Long-running engines (app, `nova serve`): hydrate, reattach, watch. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A backend area (VMs, capsules, networks, GPUs, …): registers its handlers and resource rows at
 * install and returns its lifecycle; what it keeps per engine lives in that closure, not in
 * module-level maps.
 */
export interface EngineModule {
  name: string;
  install(ctx: InstallContext): ModuleLifecycle | void;
}

import { networkModule } from './network/module.js';
import { capsuleModule } from './capsule/module.js';
import { installCoreHandlers } from './rpc/handlers/core.js';
import { novafileModule } from './novafile/module.js';
import { EventBus } from './rpc/bus.js';
import { Dispatcher } from './rpc/dispatcher.js';
import { TaskRegistry } from './rpc/tasks.js';
import { HostProbe } from './host/probe.js';
import { jsonFilePrefs, PrefsStore } from './prefs/store.js';
import type { PrefsBackend } from './prefs/store.js';
import { ResourceRegistry } from './resources/registry.js';
import { dirs, resolvePaths } from './sys/paths.js';
import type { NovaPaths } from './sys/paths.js';
import { createRunner } from './sys/runner.js';
import { gpuModule } from './gpu/module.js';
import { supportModule } from './support/module.js';
import { systemModule } from './system/module.js';
import type { Runner } from './sys/runner.js';
import { vmModule } from './vm/module.js';
import { storageModule } from './storage/module.js';
import { terminalModule } from './terminal/module.js';

export interface Clock {
  now(): number;
}

export interface EngineOptions {
  paths?: NovaPaths;
  runner?: Runner;
  /** `/sys` in production; a fixture tree in GPU tests (NOVA_SYSFS_ROOT). */
  sysfsRoot?: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  prefsBackend?: PrefsBackend;
}

/**
 * A backend area (VMs, capsules, networks, GPUs, …): registers its handlers and resource rows at
 * install, may reconcile host state at start (hydrate, reattach) and release things at close.
 */
export interface EngineModule {
  name: string;
  install(engine: Engine): void;
  start?(engine: Engine): Promise<void>;
  close?(engine: Engine): Promise<void>;
}

export interface Engine {
  readonly paths: NovaPaths;
  readonly runner: Runner;
  readonly sysfsRoot: string;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly bus: EventBus;
  readonly dispatcher: Dispatcher;
  readonly tasks: TaskRegistry;
  readonly resources: ResourceRegistry;
  readonly prefs: PrefsStore;
  readonly host: HostProbe;
  /** Runs each module's start() (hydrate networks, reattach VMs). Idempotent. */
  start(): Promise<void>;
  close(): Promise<void>;
}

// Backends add themselves here, one line each.
const MODULES: EngineModule[] = [
  systemModule,
  networkModule,
  vmModule,
  capsuleModule,
  gpuModule,
  supportModule,
  novafileModule,
  storageModule,
  terminalModule,
];

/** The composition root: every face (app, CLI, server, tests) builds its engine here. */
export function createEngine(opts: EngineOptions = {}, modules: EngineModule[] = MODULES): Engine {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? resolvePaths(env);
  const runner = opts.runner ?? createRunner();
  const clock = opts.clock ?? { now: () => Date.now() };
  const bus = new EventBus();
  let started: Promise<void> | undefined;
  const engine: Engine = {
    paths,
    runner,
    sysfsRoot: opts.sysfsRoot ?? env.NOVA_SYSFS_ROOT ?? '/sys',
    clock,
    env,
    bus,
    dispatcher: new Dispatcher(),
    tasks: new TaskRegistry(bus, () => clock.now()),
    resources: new ResourceRegistry(),
    prefs: new PrefsStore(opts.prefsBackend ?? jsonFilePrefs(dirs.prefsFile(paths))),
    host: new HostProbe(runner, paths, env),
    start() {
      started ??= (async () => {
        for (const m of modules) await m.start?.(engine);
      })();
      return started;
    },
    async close() {
      for (const m of [...modules].reverse()) await m.close?.(engine).catch(() => undefined);
    },
  };
  installCoreHandlers(engine);
  for (const m of modules) m.install(engine);
  return engine;
}

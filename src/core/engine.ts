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
import type { Clock, EngineModule, InstallContext, ModuleLifecycle, Privileged } from './context.js';
import { choosePrivileged } from './privilege/index.js';
import { vmModule } from './vm/module.js';
import { storageModule } from './storage/module.js';
import { terminalModule } from './terminal/module.js';
import { osImageModule } from './osimage/module.js';
import { hostsModule } from './hosts/module.js';
import { autostartModule } from './autostart/module.js';
import { clusterModule } from './cluster/module.js';

export type { Clock, EngineContext, EngineModule, InstallContext, ModuleLifecycle } from './context.js';

export interface EngineOptions {
  paths?: NovaPaths;
  runner?: Runner;
  /** `/sys` in production; a fixture tree in GPU tests (NOVA_SYSFS_ROOT). */
  sysfsRoot?: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  prefsBackend?: PrefsBackend;
}

/** The engine a face holds: the context every area gets, the whole dispatcher, and its lifecycle. */
export interface Engine extends InstallContext {
  readonly dispatcher: Dispatcher;
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
  osImageModule,
  hostsModule,
  autostartModule,
  clusterModule,
];

/** The composition root: every face (app, CLI, server, tests) builds its engine here. */
export function createEngine(opts: EngineOptions = {}, modules: EngineModule[] = MODULES): Engine {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? resolvePaths(env);
  const runner = opts.runner ?? createRunner();
  const clock = opts.clock ?? { now: () => Date.now() };
  const bus = new EventBus();
  const dispatcher = new Dispatcher();
  let started: Promise<void> | undefined;
  let chosen: Privileged | undefined;
  const lifecycles: ModuleLifecycle[] = [];
  const engine: Engine = {
    paths,
    runner,
    sysfsRoot: opts.sysfsRoot ?? env.NOVA_SYSFS_ROOT ?? '/sys',
    clock,
    env,
    bus,
    dispatcher,
    // Decided once, on first use: a process's capabilities don't change while it runs.
    get privileged() {
      return (chosen ??= choosePrivileged(engine));
    },
    call: (method, input, o) => dispatcher.invoke(method, input, { transport: 'inproc', ...(o?.signal ? { signal: o.signal } : {}) }),
    tasks: new TaskRegistry(bus, () => clock.now()),
    resources: new ResourceRegistry(),
    prefs: new PrefsStore(opts.prefsBackend ?? jsonFilePrefs(dirs.prefsFile(paths))),
    host: new HostProbe(runner, paths, env),
    start() {
      started ??= (async () => {
        for (const l of lifecycles) await l.start?.();
      })();
      return started;
    },
    async close() {
      for (const l of [...lifecycles].reverse()) await l.close?.().catch(() => undefined);
    },
  };
  installCoreHandlers(engine);
  for (const m of modules) lifecycles.push(m.install(engine) ?? {});
  return engine;
}

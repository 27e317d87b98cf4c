// Test helper: the renderer's stores and components driven by a real in-process engine (the same
// dispatcher and bus the app and `nova serve` use), bridged exactly like Electron's preload.
import type { NovaBridge } from '../../../shared/bridge.js';
import { NovaError } from '../../../shared/errors.js';
import type { Engine, EngineModule } from '../../../core/engine.js';
import { tempHome } from '../../../test/host.js';
import type { TempHome } from '../../../test/host.js';
import { setBridge } from '../lib/rpc';

export interface TestEngine {
  home: TempHome;
  engine: Engine;
  bridge: NovaBridge;
}

/** modules: none by default (the engine's own methods); 'all' for the app's backends (VMs, …). */
export async function engineBridge(modules: EngineModule[] | 'all' = []): Promise<TestEngine> {
  const home = await tempHome('nova-ui-');
  const engine = home.engine({}, modules === 'all' ? undefined : modules);
  const bridge: NovaBridge = {
    call: async (method, input) => {
      const r = await engine.dispatcher.call(method, input ?? {}, { transport: 'ipc' });
      if (!r.ok) throw NovaError.from(r.error);
      return r.value as never;
    },
    on: (event, fn) => engine.bus.on(event, fn),
    consoleEndpoint: () => Promise.reject(new NovaError('HOST_UNSUPPORTED', 'no console relay in unit tests')),
  };
  setBridge(bridge);
  return { home, engine, bridge };
}

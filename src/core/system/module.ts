import type { EngineModule } from '../engine.js';
import { installIntegration, integrationStatus, uninstallIntegration } from './integration.js';
import { privilegeGuard } from '../privilege/guard.js';

/** `system.*`: Nova's own files on the host (CLI on PATH, hydrate unit, polkit policy). */
export const systemModule: EngineModule = {
  name: 'system',
  install(engine) {
    const d = engine.dispatcher;
    // The one privilege guard for every area (steps declared in shared/contract/privileged.ts).
    d.guard(privilegeGuard(engine.env));
    d.handle('system.status', (input) => integrationStatus(engine.runner, input.destdir));
    d.handle('system.install', (input) => installIntegration(engine.runner, input.destdir));
    d.handle('system.uninstall', (input) => uninstallIntegration(engine.runner, input.destdir));
  },
};

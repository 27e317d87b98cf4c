import type { EngineModule } from '../engine.js';
import { installIntegration, integrationStatus, uninstallIntegration } from './integration.js';
import { pathGuard } from './path-guard.js';
import { privilegeGuard } from './privilege-policy.js';

/** `system.*`: Nova's own files on the host (CLI on PATH, hydrate unit, polkit policy). */
export const systemModule: EngineModule = {
  name: 'system',
  install(engine) {
    const d = engine.dispatcher;
    // Root-only procedures are refused up front for unprivileged callers (see privilege-policy.ts).
    d.guard(privilegeGuard());
    // Host paths (bind mounts, disk images, ISOs, outputs) only under allowed roots (sys/path-policy.ts).
    d.guard(pathGuard(engine));
    d.handle('system.status', (input) => integrationStatus(engine.runner, input.destdir));
    d.handle('system.install', (input) => installIntegration(engine.runner, input.destdir));
    d.handle('system.uninstall', (input) => uninstallIntegration(engine.runner, input.destdir));
  },
};

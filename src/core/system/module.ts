import type { EngineContext, EngineModule } from '../context.js';
import { sweepStaleTemps } from '../sys/atomic.js';
import { join } from 'node:path';
import { dirs } from '../sys/paths.js';
import { installIntegration, integrationStatus, uninstallIntegration } from './integration.js';
import { privilegeGuard } from '../privilege/guard.js';
import { pathGuard } from './path-guard.js';

/** `system.*`: Nova's own files on the host (CLI on PATH, hydrate unit, polkit policy). */
export const systemModule: EngineModule = {
  name: 'system',
  install(engine) {
    const d = engine.dispatcher;
    // Host paths (bind mounts, disk images, ISOs, outputs) only under allowed roots (sys/path-policy.ts):
    // first, so a refused path is named as such whether or not the call needs privileges.
    d.guard(pathGuard(engine));
    // The one privilege guard for every area (steps declared in shared/contract/privileged.ts).
    d.guard(privilegeGuard(engine.env));
    d.handle('system.status', (input) => integrationStatus(engine.runner, input.destdir));
    // Staged under --destdir by this process; onto the host by root itself or through nova privd.
    d.handle('system.install', (input) => (input.destdir ? installIntegration(engine.runner, input.destdir) : engine.privileged.system.install()));
    d.handle('system.uninstall', (input) => (input.destdir ? uninstallIntegration(engine.runner, input.destdir) : engine.privileged.system.uninstall()));
    return { start: () => sweepStateTemps(engine) };
  },
};

/** Temp files of atomic writes a kill -9 cut short: the state folders of VMs, capsules and
 * networks and the prefs — never inside images or a capsule's own files. */
async function sweepStateTemps(engine: EngineContext): Promise<void> {
  for (const d of [dirs.vms, dirs.capsules, dirs.networks]) await sweepStaleTemps(d(engine.paths), 1);
  for (const d of [engine.paths.data, dirs.images(engine.paths), join(engine.paths.data, 'projects')]) await sweepStaleTemps(d);
  await sweepStaleTemps(engine.paths.config);
}

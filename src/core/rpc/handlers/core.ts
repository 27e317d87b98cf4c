import type { InstallContext } from '../../context.js';

/** The spine's own procedures: host, resources, tasks, preferences. */
export function installCoreHandlers(engine: InstallContext): void {
  const d = engine.dispatcher;

  d.handle('host.info', (input) => engine.host.info(input.refresh));

  d.handle('resource.list', async (input) => ({ items: await engine.resources.list(input) }));

  d.handle('task.list', () => ({ tasks: engine.tasks.list() }));
  d.handle('task.cancel', (input) => {
    const t = engine.tasks.cancel(input.id);
    return { id: t.id, cancelled: t.state === 'running' || t.state === 'cancelled', state: t.state };
  });

  d.handle('prefs.get', () => engine.prefs.get());
  d.handle('prefs.set', async (input) => {
    const next = await engine.prefs.set(input.key, input.value);
    engine.bus.emit('prefs.changed', next);
    return next;
  });
}

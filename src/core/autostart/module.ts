import type { EngineModule } from '../context.js';
import { listAutostart, startGuests, stopGuests } from './guests.js';

// Guests that start with the host (nova-guests.service): list, boot-time start, shutdown stop.
export const autostartModule: EngineModule = {
  name: 'autostart',
  install(engine) {
    const d = engine.dispatcher;
    d.handle('autostart.list', async () => ({ items: await listAutostart(engine.call) }));
    d.handle('autostart.start', async () => ({ items: await startGuests(engine.call) }));
    d.handle('autostart.stop', async (i) => ({ items: await stopGuests(engine.call, i) }));
  },
};

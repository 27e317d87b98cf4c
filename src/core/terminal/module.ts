import type { EngineModule } from '../context.js';
import { openCapsuleShell } from './capsule-pty.js';
import { TerminalSessions } from './sessions.js';
import { openVmSerial } from './vm-serial.js';

// In-app terminals (xterm.js in the app and the browser): capsule shells and VM serial consoles.

export const terminalModule: EngineModule = {
  name: 'terminal',
  install(engine) {
    const sessions = new TerminalSessions(engine.bus);
    const d = engine.dispatcher;
    d.handle('terminal.open', async ({ target, cols, rows }, c) => {
      if (target.kind === 'vm') {
        const id = await sessions.start(`vm:${target.name}`, true, c.client, (sink) => openVmSerial(engine, target.name, sink));
        return { id, title: `${target.name} — serial console` };
      }
      const id = await sessions.start(`capsule:${target.name}`, false, c.client, (sink) => openCapsuleShell(engine, target, cols, rows, sink));
      return { id, title: `${target.name} — ${target.command.join(' ')}` };
    });
    d.handle('terminal.input', ({ id, data }, c) => (sessions.write(id, c.client, data), { id }));
    d.handle('terminal.resize', ({ id, cols, rows }, c) => ({ id, applied: sessions.resize(id, c.client, cols, rows) }));
    d.handle('terminal.close', ({ id }, c) => ({ id, closed: sessions.close(id, c.client) }));
    return { close: async () => sessions.closeAll() };
  },
};

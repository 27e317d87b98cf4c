import type { EngineModule } from '../context.js';
import { findNovafile, readNovafileText } from './load.js';
import { validationSummaryOffThread } from './offthread.js';
import { ProjectService } from './project.js';

/** novafile.validate / plan / up / run / down: the declarative face of the engine. */
export const novafileModule: EngineModule = {
  name: 'novafile',
  install(engine) {
    const svc = new ProjectService(engine);
    const d = engine.dispatcher;
    d.handle('novafile.validate', async (input) => {
      const file = input.text !== undefined ? (input.path ?? 'NovaFile') : findNovafile(input.path, input.cwd);
      return validationSummaryOffThread(input.text ?? (await readNovafileText(file)), file);
    });
    d.handle('novafile.plan', (input) => svc.plan(input));
    d.handle('novafile.up', (input, ctx) => svc.up(input, ctx.signal));
    d.handle('novafile.run', (input) => svc.run(input));
    d.handle('novafile.down', (input) => svc.down(input));
  },
};

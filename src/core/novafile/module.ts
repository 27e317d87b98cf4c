import type { EngineModule } from '../context.js';
import { addVm } from './add.js';
import { readNovafileSource } from './load.js';
import { validationSummaryOffThread } from './offthread.js';
import { ProjectService } from './project.js';

/** novafile.validate / plan / up / run / down: the declarative face of the engine. */
export const novafileModule: EngineModule = {
  name: 'novafile',
  install(engine) {
    const svc = new ProjectService(engine);
    const d = engine.dispatcher;
    d.handle('novafile.validate', async (input) => {
      const { file, text } = await readNovafileSource(input);
      return validationSummaryOffThread(text, file);
    });
    d.handle('novafile.plan', (input) => svc.plan(input));
    d.handle('novafile.up', (input, ctx) => svc.up(input, ctx.signal));
    d.handle('novafile.run', (input) => svc.run(input));
    d.handle('novafile.down', (input) => svc.down(input));
    d.handle('novafile.addVm', (input) => addVm(input));
  },
};

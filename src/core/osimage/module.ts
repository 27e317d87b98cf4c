import type { EngineModule } from '../context.js';
import { listOsImages, pullOsImage, removeOsImage } from './store.js';

// OS images for VMs: the catalog, pulls (tasks with progress), the verified store.
export const osImageModule: EngineModule = {
  name: 'osimage',
  install(engine) {
    const d = engine.dispatcher;
    d.handle('image.vm.list', async () => ({ items: await listOsImages(engine) }));
    d.handle('image.vm.rm', (i) => removeOsImage(engine, i.name, i.force));
    d.handle('image.vm.pull', (i, c) => engine.tasks.run(`pull OS image ${i.name}`, (task) => pullOsImage(engine, i.name, i.mirror, task), c.signal ? { signal: c.signal } : {}));
  },
};

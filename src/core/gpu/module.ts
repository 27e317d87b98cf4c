import type { EngineModule } from '../context.js';
import { releaseForVm, resolveForVm } from './resolve.js';
import { GpuService } from './service.js';
import type { GpuServiceOptions } from './service.js';

/**
 * The GPU area. Its privileged steps go through the engine's Privileged interface (this process
 * or `nova privd`); tests pass a fixture kernel as `writer` to do and watch every write themselves.
 */
export function createGpuModule(opts: Partial<Omit<GpuServiceOptions, 'root' | 'paths' | 'bus'>> = {}): EngineModule {
  return {
    name: 'gpu',
    install(engine) {
      const devices = opts.writer || opts.devices ? {} : { devices: () => engine.privileged.devices };
      const svc = new GpuService({ ...opts, ...devices, root: engine.sysfsRoot, paths: engine.paths, bus: engine.bus });
      const d = engine.dispatcher;
      d.handle('gpu.list', (i) => svc.list(i));
      d.handle('gpu.info', ({ id, ...ctx }) => svc.find(id, ctx));
      d.handle('gpu.diagnose', async ({ address, ...ctx }) => {
        const gpus = address ? [await svc.find(address, ctx)] : (await svc.scan(ctx)).gpus;
        return { gpus: gpus.map((g) => ({ address: g.address, name: g.name, status: g.status, checks: g.checks })) };
      });
      d.handle('gpu.bind', (i) => svc.act('bind', i.addresses, i));
      d.handle('gpu.unbind', (i) => svc.act('unbind', i.addresses, i));
      d.handle('gpu.reattach', (i) => svc.act('reattach', i.addresses, i));
      d.handle('gpu.reset', (i) => svc.act('reset', i.addresses, i));
      d.handle('gpu.resolveForVm', (i) => resolveForVm(svc, i));
      d.handle('gpu.releaseForVm', (i) => releaseForVm(svc, i));
    },
  };
}

export const gpuModule = createGpuModule();

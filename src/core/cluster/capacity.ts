// What this host offers the cluster: the capacity placement books against, published by the agent.
import { statfs } from 'node:fs/promises';
import type { EngineContext } from '../context.js';
import type { ClusterConfig } from './config.js';
import type { Capacity } from './placement.js';

/** The parts of a host's capacity that seldom change (read again now and then, not every time). */
export type StaticCapacity = { gpus: number; accelerator: string };

/** This host's capacity as the cluster sees it (what placement books against); `statics` from an earlier call skips the GPU scan and host.info. */
export async function capacity(engine: EngineContext, c: ClusterConfig, statics?: StaticCapacity): Promise<Capacity> {
  const [usage, info, nets, gpus, fs] = await Promise.all([
    engine.call('host.usage', {}),
    statics ? undefined : engine.call('host.info', {}).catch(() => undefined),
    engine.call('network.list', {}).catch(() => ({ items: [] })),
    statics ? undefined : engine.call('gpu.list', {}).catch(() => ({ gpus: [] })),
    statfs(engine.paths.data).catch(() => undefined),
  ]);
  return {
    cpus: usage.cpus,
    memoryTotalBytes: usage.memoryTotalBytes,
    memoryAvailableBytes: usage.memoryAvailableBytes,
    allocatableMemoryBytes: c.allocatable?.memoryBytes ?? usage.memoryTotalBytes,
    allocatableCpus: c.allocatable?.cpus ?? usage.cpus,
    diskFreeBytes: fs ? fs.bavail * fs.bsize : 0,
    gpus: statics?.gpus ?? gpus?.gpus.length ?? 0,
    networks: nets.items.map((n) => n.name),
    accelerator: statics?.accelerator ?? info?.accelerator.kind ?? 'none',
    at: Date.now(),
  };
}

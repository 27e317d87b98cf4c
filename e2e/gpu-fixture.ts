import { buildScenario } from '../src/core/gpu/testing/hosts';

// GPU hardware cannot exist here: the engine reads a fixture sysfs tree (NOVA_SYSFS_ROOT) built
// by the GPU area's own scenario builder, and writes through its fixture kernel (the test entry
// point src/test/nova-gpu-fixture.mjs).

export const GPU_SCENARIO = 'desktop-rtx5090';

export function buildGpuFixture(base: string): Promise<string> {
  return buildScenario(GPU_SCENARIO, base);
}

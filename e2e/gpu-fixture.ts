import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// GPU hardware cannot exist here: the engine reads a fixture sysfs tree (NOVA_SYSFS_ROOT) built
// by the GPU backend's own scenario builder. Without that backend in this build, an empty tree.

const HOSTS = resolve(import.meta.dirname, '..', 'src', 'core', 'gpu', 'fixtures', 'hosts.ts');
export const GPU_SCENARIO = 'desktop-rtx5090';

export async function buildGpuFixture(base: string): Promise<string> {
  if (existsSync(HOSTS)) {
    const mod = (await import(pathToFileURL(HOSTS).href)) as { buildScenario(name: string, base: string): Promise<string> };
    return mod.buildScenario(GPU_SCENARIO, base);
  }
  const empty = join(base, 'sys');
  mkdirSync(join(empty, 'bus', 'pci', 'devices'), { recursive: true });
  return empty;
}

import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';

/**
 * Which VM Nova bound which GPU for: shown in the inventory and undone by gpu.releaseForVm when the
 * VM stops. A record, not a lock: the VM backend owns whether the VM runs.
 */
export class GpuClaims {
  constructor(private file: string) {}

  static in(dataDir: string): GpuClaims {
    return new GpuClaims(join(dataDir, 'gpu', 'claims.json'));
  }

  all(): Promise<Record<string, string[]>> {
    return readJson<Record<string, string[]>>(this.file, {});
  }

  async byDevice(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [vm, devs] of Object.entries(await this.all())) for (const d of devs) out.set(d, vm);
    return out;
  }

  async claim(vm: string, devices: string[]): Promise<void> {
    const cur = await this.all();
    for (const [other, devs] of Object.entries(cur)) cur[other] = devs.filter((d) => !devices.includes(d));
    cur[vm] = [...new Set([...(cur[vm] ?? []), ...devices])];
    await writeJsonAtomic(this.file, Object.fromEntries(Object.entries(cur).filter(([, d]) => d.length)));
  }

  async release(vm: string): Promise<string[]> {
    const cur = await this.all();
    const devs = cur[vm] ?? [];
    delete cur[vm];
    await writeJsonAtomic(this.file, cur);
    return devs;
  }
}

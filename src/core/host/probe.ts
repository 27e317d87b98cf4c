import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { HostInfo } from '../../shared/contract/host.js';
import type { NovaPaths } from '../sys/paths.js';
import type { Runner } from '../sys/runner.js';
import { probeAccelerator } from './accelerator.js';
import { detectCgroups } from './cgroups.js';
import { probeTools } from './tools.js';
import { ovmfCodeFacts } from '../vm/xmigrate/firmware.js';

export const NOVA_VERSION = '0.1.0';

async function osRelease(): Promise<HostInfo['os']> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { id: get('ID') || 'linux', name: get('PRETTY_NAME') || get('NAME') || 'Linux', version: get('VERSION_ID') };
}

function wayland(env: NodeJS.ProcessEnv): HostInfo['wayland'] {
  const display = env.WAYLAND_DISPLAY;
  if (!display) {
    const type = env.XDG_SESSION_TYPE;
    return { session: false, detail: type ? `session type is ${type}, WAYLAND_DISPLAY unset` : 'WAYLAND_DISPLAY unset (no Wayland session)' };
  }
  const socket = display.startsWith('/') ? display : join(env.XDG_RUNTIME_DIR ?? '', display);
  return existsSync(socket)
    ? { session: true, display, detail: `Wayland compositor socket ${socket}` }
    : { session: false, display, detail: `WAYLAND_DISPLAY=${display} but ${socket} does not exist` };
}

/** Gathers host facts once; `refresh` re-probes (the KVM answer stays cached per boot). */
export class HostProbe {
  private cached?: Promise<HostInfo>;

  constructor(
    private runner: Runner,
    private paths: NovaPaths,
    private env: NodeJS.ProcessEnv = process.env,
  ) {}

  info(refresh = false): Promise<HostInfo> {
    if (!this.cached || refresh) {
      this.cached = this.probe();
      this.cached.catch(() => (this.cached = undefined));
    }
    return this.cached;
  }

  private async probe(): Promise<HostInfo> {
    const [release, cgroup, tools, ovmf] = await Promise.all([osRelease(), detectCgroups(), probeTools(this.runner, join(this.paths.runtime, 'host', 'tools.json')), ovmfCodeFacts()]);
    const qemu = tools.find((t) => t.name === 'qemu-system-x86_64');
    const accelerator = await probeAccelerator(this.runner, this.paths.runtime, qemu?.found ? (qemu.version ?? 'unknown') : undefined);
    return {
      hostname: os.hostname(),
      os: release,
      kernel: os.release(),
      arch: os.arch(),
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
      root: process.getuid?.() === 0,
      accelerator,
      cgroup,
      wayland: wayland(this.env),
      tools,
      ovmf,
      nova: {
        version: NOVA_VERSION,
        paths: { config: this.paths.config, data: this.paths.data, runtime: this.paths.runtime, source: this.paths.source },
      },
    };
  }
}

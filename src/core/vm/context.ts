// What the VM backend needs from the engine, narrowed so a second backend can be built for
// another Nova home (localhost live migration) without a whole engine.
import { existsSync } from 'node:fs';
import type { Input, Method, Output } from '../../shared/contract.js';
import type { EventBus } from '../rpc/bus.js';
import type { TaskRegistry } from '../rpc/tasks.js';
import type { NovaPaths } from '../sys/paths.js';
import type { Runner } from '../sys/runner.js';
import type { HostFacts } from './config/types.js';
import type { RunAs } from './confine.js';

export interface AccelFacts {
  kind: 'kvm' | 'tcg' | 'none';
  reason: string;
}

export interface VmContext {
  paths: NovaPaths;
  runner: Runner;
  bus: EventBus;
  tasks: TaskRegistry;
  accelerator(): Promise<AccelFacts>;
  /** Calls another area's procedure (network.attach, gpu.resolveForVm) through the dispatcher. */
  call<M extends Method>(method: M, input: Input<M>): Promise<Output<M>>;
  /** NOVA_NETNS: the networks backend runs in this netns, so TAP-attached QEMUs must too. */
  netns?: string;
  /** The unprivileged user a root engine's QEMU drops to; undefined for a user's engine. */
  runAs?: () => RunAs | undefined;
}

const OVMF_DIRS = ['/usr/share/OVMF', '/usr/share/edk2/x64', '/usr/share/edk2-ovmf/x64'];

/** OVMF file locations (Debian: ovmf; Arch: edk2-ovmf). */
export function ovmfFiles(): HostFacts['ovmf'] {
  const pick = (names: string[]) => {
    for (const d of OVMF_DIRS) for (const n of names) if (existsSync(`${d}/${n}`)) return `${d}/${n}`;
    return `${OVMF_DIRS[0]}/${names[0]}`;
  };
  return {
    code: pick(['OVMF_CODE_4M.fd', 'OVMF_CODE.4m.fd']),
    secbootCode: pick(['OVMF_CODE_4M.secboot.fd', 'OVMF_CODE.secboot.4m.fd']),
    vars: pick(['OVMF_VARS_4M.fd', 'OVMF_VARS.4m.fd']),
    msVars: pick(['OVMF_VARS_4M.ms.fd', 'OVMF_VARS.ms.4m.fd']),
  };
}

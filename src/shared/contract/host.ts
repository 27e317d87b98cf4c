import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

export const toolInfo = lazy(() => z.object({
  name: z.string(),
  found: z.boolean(),
  path: z.string().optional(),
  version: z.string().optional(),
  package: z.object({ debian: z.string(), arch: z.string() }),
  purpose: z.string(),
}));

export const acceleratorInfo = lazy(() => z.object({
  kind: z.enum(['kvm', 'tcg', 'none']),
  kvmUsable: z.boolean(),
  /** Why KVM is or is not used: shown as a warning when falling back to TCG. */
  reason: z.string(),
  qemu: z.string().optional(),
}));

export const cgroupInfo = lazy(() => z.object({
  layout: z.enum(['v2', 'v1', 'hybrid', 'none']),
  detail: z.string(),
  unifiedControllers: z.array(z.string()),
}));

export const hostInfo = lazy(() => z.object({
  hostname: z.string(),
  os: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number().int(),
  memoryBytes: z.number(),
  root: z.boolean(),
  accelerator: acceleratorInfo,
  cgroup: cgroupInfo,
  wayland: z.object({ session: z.boolean(), display: z.string().optional(), detail: z.string() }),
  tools: z.array(toolInfo),
  /** OVMF code builds (UEFI firmware) and their sha256: a UEFI VM moves only to a host with the same build. */
  ovmf: z.object({ code: z.object({ path: z.string(), sha256: z.string() }).optional(), secbootCode: z.object({ path: z.string(), sha256: z.string() }).optional() }).optional(),
  nova: z.object({ version: z.string(), paths: z.record(z.string(), z.string()) }),
}));
export type HostInfo = z.infer<typeof hostInfo>;

/** This host's CPU and memory use now (what the dashboard graphs). */
export const hostStats = lazy(() => z.object({
  at: z.number(),
  cpus: z.number().int(),
  /** Busy share of all CPUs since the previous reading, 0–100 (absent when no clock tick passed). */
  cpuPercent: z.number().optional(),
  memoryTotalBytes: z.number(),
  /** MemAvailable: what can be given to new work without swapping. */
  memoryAvailableBytes: z.number(),
  memoryUsedBytes: z.number(),
  swapTotalBytes: z.number(),
  swapUsedBytes: z.number(),
  /** 1, 5 and 15-minute load averages. */
  load: z.tuple([z.number(), z.number(), z.number()]),
}));
export type HostStats = z.infer<typeof hostStats>;
export type ToolInfo = z.infer<typeof toolInfo>;

export const hostProcedures = {
  'host.info': procedure({
    summary: 'Host facts: OS, kernel, CPUs, memory, accelerator (KVM or TCG and why), cgroups, Wayland, tools',
    input: lazy(() => z.object({ refresh: z.boolean().optional() }).strict().default({})),
    output: hostInfo,
  }),
  'host.stats': procedure({
    summary: 'This host\'s CPU % (all CPUs), memory and swap in use, load averages, now (/proc/stat, /proc/meminfo)',
    input: lazy(() => z.object({}).strict().default({})),
    output: hostStats,
  }),
};

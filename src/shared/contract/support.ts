import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

export const preflightCheck = lazy(() => z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'fail']),
  detail: z.string(),
  /** What to do, per distribution. */
  remedy: z.object({ debian: z.string(), arch: z.string() }).optional(),
}));
export type PreflightCheck = z.infer<typeof preflightCheck>;

export const preflightReport = lazy(() => z.object({
  ok: z.boolean(),
  counts: z.object({ ok: z.number().int(), warn: z.number().int(), fail: z.number().int() }),
  checks: z.array(preflightCheck),
}));
export type PreflightReport = z.infer<typeof preflightReport>;

export const supportProcedures = {
  'support.preflight': procedure({
    summary: 'Kernel and userland readiness: KVM usable, IOMMU, VFIO, hugepages, QEMU, OVMF, runtimes, networking tools, Wayland',
    input: lazy(() => z.object({}).strict().default({})),
    output: preflightReport,
  }),
  'support.bundle': procedure({
    summary: 'A tar.gz (or folder) for bug reports: host, preflight, GPUs, logs, NovaFiles and state; secrets never included',
    input: lazy(() => z
      .object({
        /** Also mask hostnames, serials, MACs, public IPs and user names. */
        redact: z.boolean().default(false),
        output: z.string().min(1).optional(),
        format: z.enum(['tar.gz', 'dir']).default('tar.gz'),
        /** NovaFile to include (default: the one in cwd, if any). */
        novafile: z.string().optional(),
        cwd: z.string().optional(),
      })
      .strict()
      .default({ redact: false, format: 'tar.gz' })),
    output: lazy(() => z.object({ path: z.string(), format: z.enum(['tar.gz', 'dir']), files: z.array(z.string()), bytes: z.number(), redacted: z.boolean(), secretsScrubbed: z.number().int() })),
  }),
};

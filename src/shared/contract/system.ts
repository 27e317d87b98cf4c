import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Nova's own footprint on the host (for source installs; packages ship the same files):
// `nova` on PATH, the boot-time network hydrate unit, the privileged helper's units, the polkit policy.
export const integrationItem = lazy(() => z.object({
  name: z.enum(['cli', 'hydrate-unit', 'privd-socket', 'privd-service', 'polkit-policy']),
  path: z.string(),
  installed: z.boolean(),
  /** Where it points / what it runs, or why it is not ours. */
  detail: z.string().optional(),
}));

export const integrationStatus = lazy(() => z.object({
  items: z.array(integrationItem),
  /** `systemctl is-enabled nova-hydrate.service`; absent without systemd or with --destdir. */
  hydrateEnabled: z.boolean().optional(),
  /** Changes this call made (empty for status). */
  changed: z.array(z.string()),
}));
export type IntegrationStatus = z.infer<typeof integrationStatus>;

const destdir = lazy(() => z
  .string()
  .refine((p) => p.startsWith('/'), 'destdir must be an absolute path (a staging root such as /tmp/stage)')
  .optional()
  .describe('stage the files under this root instead of / (packagers; no root needed)'));

const input = lazy(() => z.object({ destdir }).strict().default({}));

export const systemProcedures = {
  'system.status': procedure({ summary: "Nova's system integration: CLI on PATH, boot-time network hydrate unit, polkit policy", input, output: integrationStatus }),
  'system.install': procedure({
    summary: 'Install `nova` on PATH, the boot-time network hydrate unit, the privileged helper\'s socket (both enabled) and the polkit policy; through nova privd (org.nova.manage-system) or as root',
    input,
    output: integrationStatus,
  }),
  'system.uninstall': procedure({ summary: 'Remove what `nova system install` added; VM and network state stays', input, output: integrationStatus }),
};

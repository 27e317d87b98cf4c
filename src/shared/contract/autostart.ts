import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Guests that start with the host (`autostart = true`), like libvirt-guests: nova-guests.service
// runs `nova autostart start` at boot (networks first) and `nova autostart stop` at shutdown.

export const autostartGuest = lazy(() => z.object({
  kind: z.enum(['vm', 'capsule']),
  name: z.string(),
  autostart: z.boolean(),
  state: z.string(),
}));

export const autostartOutcome = lazy(() => z.object({
  kind: z.enum(['network', 'vm', 'capsule']),
  name: z.string(),
  /**
   * started / already-running / stopped (how: guest-agent, acpi, quit, kill, term) / failed;
   * suspended: RAM and disks saved to the VM's disk (internal snapshot), QEMU quit; resumed: started
   * at boot and brought back to that state.
   */
  result: z.enum(['started', 'already-running', 'stopped', 'not-running', 'failed', 'suspended', 'resumed']),
  how: z.string().optional(),
  reason: z.string().optional(),
  ms: z.number(),
}));
export type AutostartOutcome = z.infer<typeof autostartOutcome>;

export const autostartProcedures = {
  'autostart.list': procedure({
    summary: 'VMs and capsules with whether they start at host boot',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ items: z.array(autostartGuest) })),
  }),
  'autostart.start': procedure({
    summary: 'Host boot: bring the saved networks up, resume the VMs suspended at shutdown, then start every VM and capsule marked autostart',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ items: z.array(autostartOutcome) })),
  }),
  'autostart.stop': procedure({
    summary: 'Host shutdown: stop every running VM (guest agent or ACPI, then quit after the timeout) and capsule, all at once',
    input: lazy(() => z
      .object({
        /** Per guest: how long a clean shutdown may take before it is forced. */
        timeoutMs: z.number().int().min(0).max(3_600_000).default(120_000),
        /** Only the guests marked autostart (default: every running guest, like libvirt-guests). */
        onlyAutostart: z.boolean().default(false),
        /**
         * shutdown: guest agent or ACPI, forced after the timeout. suspend: suspend-to-disk (the VM's
         * RAM and disks saved as the internal snapshot "nova-host-suspend", then QEMU quits), resumed
         * by the next `autostart start`; a VM that cannot be saved (raw disks, passthrough) shuts down.
         */
        action: z.enum(['shutdown', 'suspend']).default('shutdown'),
      })
      .strict()),
    output: lazy(() => z.object({ items: z.array(autostartOutcome) })),
  }),
};

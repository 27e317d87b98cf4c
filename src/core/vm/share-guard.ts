// QEMU cannot save or migrate the state of a vhost-user-fs device (virtiofs): its queues live in
// virtiofsd, and QEMU 7.2 marks the device unmigratable. A live snapshot with RAM
// (snapshot-save) and a live migration of a VM with a virtiofs share would fail half-way with
// "State blocked by non-migratable device" (after Nova started a destination, for a migration).
// Nova refuses first, naming the share and what to do instead. The same holds for the clipboard
// (`clipboard = true`): QEMU 7.2's qemu-vdagent chardev blocks migration ("The vdagent chardev
// doesn't yet support migration"), and snapshot-save with it.
import { NovaError } from '../../shared/errors.js';
import type { ResolvedShare } from './config/types.js';
import type { RuntimeInfo } from './store.js';

export type LiveStateOp = 'snapshot' | 'migrate';

const FIX: Record<LiveStateOp, string> = {
  snapshot: 'take a disk-only snapshot instead (`nova snapshot vm NAME --external` while it runs, or stop the VM first), or set driver = "9p" on the share and restart the VM',
  migrate: 'shut the VM down and move it stopped, or set driver = "9p" on the share, restart the VM and unmount the share in the guest before migrating',
};

/** The virtiofs shares of a running QEMU (from its runtime info: what it was started with). */
export const virtiofsShares = (shares: ResolvedShare[] | undefined): ResolvedShare[] => (shares ?? []).filter((s) => s.driver === 'virtiofs');

/** CONFLICT naming the VM's virtiofs share(s) and the fix, or undefined when there are none. */
export function virtiofsBlocker(name: string, shares: ResolvedShare[] | undefined, op: LiveStateOp): NovaError | undefined {
  const fs = virtiofsShares(shares);
  if (!fs.length) return undefined;
  const list = fs.map((s) => `"${s.tag}" (${s.host})`).join(', ');
  const what = op === 'snapshot' ? 'save the RAM of' : 'live-migrate';
  return new NovaError(
    'CONFLICT',
    `VM ${name} has virtiofs shared folder${fs.length > 1 ? 's' : ''} ${list}: QEMU cannot ${what} a VM using virtiofs (vhost-user-fs keeps its state in virtiofsd) — ${FIX[op].replace('NAME', name)}`,
    { field: 'shares', shares: fs.map((s) => s.tag) },
  );
}


/** CONFLICT when the running QEMU has the clipboard's qemu-vdagent chardev (from its argv). */
export function clipboardBlocker(name: string, argv: string[] | undefined, op: LiveStateOp): NovaError | undefined {
  if (!(argv ?? []).some((a) => a.startsWith('qemu-vdagent'))) return undefined;
  const fix = op === 'snapshot'
    ? `take a disk-only snapshot instead (\`nova snapshot vm ${name} --external\` while it runs, or stop the VM first), or set clipboard = false and restart the VM`
    : 'shut the VM down and move it stopped, or set clipboard = false and restart the VM before migrating';
  return new NovaError('CONFLICT', `VM ${name} runs with clipboard = true: QEMU 7.2's vdagent chardev cannot be ${op === 'snapshot' ? 'saved with the RAM' : 'live-migrated'} — ${fix}`, { field: 'clipboard' });
}

/** Why this running VM's RAM cannot be saved or migrated (virtiofs shares, the clipboard), or undefined. */
export const liveStateBlocker = (name: string, rt: RuntimeInfo | undefined, op: LiveStateOp): NovaError | undefined =>
  virtiofsBlocker(name, rt?.shares, op) ?? clipboardBlocker(name, rt?.argv, op);

// What nova-guests.service does at host boot and shutdown, as functions over the contract (so
// they run the same from the unit's `nova autostart start|stop`, the app or a test): boot brings
// the saved networks up, then the VMs, then the capsules marked autostart, one at a time, and
// goes on past a guest that fails; shutdown stops every running guest at once, each cleanly
// (VM: guest agent or ACPI; capsule: SIGTERM) and forced after its timeout — or, with action
// "suspend", saves each VM to disk (internal snapshot SUSPEND_TAG: RAM + disks, like libvirt's
// managed save) and quits it; the next boot starts it and loads that state, then drops the snapshot.
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import { toNovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';

type Call = EngineContext['call'];
const RUNNING = new Set(['running', 'paused', 'starting', 'shutting-down']);
/** The internal snapshot a host-shutdown suspend leaves on a VM's disks. */
export const SUSPEND_TAG = 'nova-host-suspend';

async function timed(kind: AutostartOutcome['kind'], name: string, fn: () => Promise<Omit<AutostartOutcome, 'kind' | 'name' | 'ms'>>): Promise<AutostartOutcome> {
  const t = Date.now();
  try {
    return { kind, name, ...(await fn()), ms: Date.now() - t };
  } catch (e) {
    return { kind, name, result: 'failed', reason: toNovaError(e).message, ms: Date.now() - t };
  }
}

export async function listAutostart(call: Call) {
  const [vms, capsules] = await Promise.all([call('vm.list', {}), call('capsule.list', {})]);
  return [
    ...vms.items.map((v) => ({ kind: 'vm' as const, name: v.name, autostart: v.spec.autostart === true, state: v.state })),
    ...capsules.items.map((c) => ({ kind: 'capsule' as const, name: c.name, autostart: c.spec.autostart === true, state: c.state })),
  ];
}

export async function startGuests(call: Call): Promise<AutostartOutcome[]> {
  const out: AutostartOutcome[] = [];
  // Networks first: the switches VMs and capsules attach to.
  const networks = await call('network.list', {}).catch(() => ({ items: [] }));
  if (networks.items.length) {
    out.push(await timed('network', '*', async () => {
      const h = await call('network.hydrate', {});
      return h.failed.length ? { result: 'failed', reason: h.failed.map((f) => `${f.name}: ${f.reason}`).join('; ') } : { result: 'started', how: `recreated ${h.recreated.length}, repaired ${h.repaired.length}` };
    }));
  }
  const all = await listAutostart(call);
  const resumed = new Set<string>();
  // VMs suspended at the last shutdown come back first, autostart or not (they were running).
  for (const g of all.filter((x) => x.kind === 'vm' && !RUNNING.has(x.state))) {
    if (!(await hasSuspendState(call, g.name))) continue;
    resumed.add(g.name);
    out.push(await timed('vm', g.name, () => resumeVm(call, g.name)));
  }
  const guests = all.filter((g) => g.autostart && !resumed.has(g.name));
  for (const g of guests.filter((x) => x.kind === 'vm')) {
    out.push(await timed('vm', g.name, async () => (RUNNING.has(g.state) ? { result: 'already-running' } : (await call('vm.start', { name: g.name }), { result: 'started' }))));
  }
  for (const g of guests.filter((x) => x.kind === 'capsule')) {
    out.push(await timed('capsule', g.name, async () => (g.state === 'running' ? { result: 'already-running' } : (await call('capsule.start', { name: g.name }), { result: 'started' }))));
  }
  return out;
}

const hasSuspendState = (call: Call, name: string) =>
  call('vm.snapshot.list', { name }).then((l) => l.snapshots.some((s) => s.tag === SUSPEND_TAG), () => false);

/** Starts the VM and loads the state saved at shutdown; the snapshot goes once it is loaded. */
async function resumeVm(call: Call, name: string): Promise<Omit<AutostartOutcome, 'kind' | 'name' | 'ms'>> {
  await call('vm.start', { name });
  await call('vm.snapshot.restore', { name, tag: SUSPEND_TAG });
  await call('vm.snapshot.delete', { name, tag: SUSPEND_TAG });
  return { result: 'resumed', how: `snapshot ${SUSPEND_TAG}` };
}

/** Suspend-to-disk: save RAM + disks, then quit QEMU. Undefined when the VM cannot be saved (the caller shuts it down). */
async function suspendVm(call: Call, name: string): Promise<{ outcome?: Omit<AutostartOutcome, 'kind' | 'name' | 'ms'>; why?: string }> {
  try {
    // A stale state from an earlier suspend that was never resumed would block the tag.
    if (await hasSuspendState(call, name)) await call('vm.snapshot.delete', { name, tag: SUSPEND_TAG });
    await call('vm.snapshot.create', { name, tag: SUSPEND_TAG });
  } catch (e) {
    return { why: toNovaError(e).message };
  }
  await call('vm.stop', { name, force: true });
  return { outcome: { result: 'suspended', how: `snapshot ${SUSPEND_TAG}` } };
}

export async function stopGuests(call: Call, opts: { timeoutMs: number; onlyAutostart: boolean; action?: 'shutdown' | 'suspend' }): Promise<AutostartOutcome[]> {
  const guests = (await listAutostart(call)).filter((g) => RUNNING.has(g.state) && (!opts.onlyAutostart || g.autostart));
  return Promise.all(
    guests.map((g) =>
      g.kind === 'vm'
        ? timed('vm', g.name, async () => {
            let why: string | undefined;
            if (opts.action === 'suspend') {
              const s = await suspendVm(call, g.name);
              if (s.outcome) return s.outcome;
              why = `not suspended (${s.why}): shut down instead`;
            }
            // vm.stop: the agent, else ACPI; QEMU quits once the timeout passes.
            const r = await call('vm.stop', { name: g.name, timeoutMs: opts.timeoutMs }).catch(() => call('vm.stop', { name: g.name, force: true }));
            return { result: 'stopped', ...(r.stoppedBy ? { how: r.stoppedBy } : {}), ...(why ? { reason: why } : {}) };
          })
        : timed('capsule', g.name, async () => {
            await call('capsule.stop', { name: g.name, timeout: Math.ceil(opts.timeoutMs / 1000) });
            return { result: 'stopped', how: 'term' };
          }),
    ),
  );
}

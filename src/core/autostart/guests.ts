// What nova-guests.service does at host boot and shutdown, as functions over the contract (so
// they run the same from the unit's `nova autostart start|stop`, the app or a test): boot brings
// the saved networks up, then the VMs, then the capsules marked autostart, one at a time, and
// goes on past a guest that fails; shutdown stops every running guest at once, each cleanly
// (VM: guest agent or ACPI; capsule: SIGTERM) and forced after its timeout.
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import { toNovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';

type Call = EngineContext['call'];
const RUNNING = new Set(['running', 'paused', 'starting', 'shutting-down']);

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
  const guests = (await listAutostart(call)).filter((g) => g.autostart);
  for (const g of guests.filter((x) => x.kind === 'vm')) {
    out.push(await timed('vm', g.name, async () => (RUNNING.has(g.state) ? { result: 'already-running' } : (await call('vm.start', { name: g.name }), { result: 'started' }))));
  }
  for (const g of guests.filter((x) => x.kind === 'capsule')) {
    out.push(await timed('capsule', g.name, async () => (g.state === 'running' ? { result: 'already-running' } : (await call('capsule.start', { name: g.name }), { result: 'started' }))));
  }
  return out;
}

export async function stopGuests(call: Call, opts: { timeoutMs: number; onlyAutostart: boolean }): Promise<AutostartOutcome[]> {
  const guests = (await listAutostart(call)).filter((g) => RUNNING.has(g.state) && (!opts.onlyAutostart || g.autostart));
  return Promise.all(
    guests.map((g) =>
      g.kind === 'vm'
        ? timed('vm', g.name, async () => {
            // vm.stop: the agent, else ACPI; QEMU quits once the timeout passes.
            const r = await call('vm.stop', { name: g.name, timeoutMs: opts.timeoutMs }).catch(() => call('vm.stop', { name: g.name, force: true }));
            return { result: 'stopped', ...(r.stoppedBy ? { how: r.stoppedBy } : {}) };
          })
        : timed('capsule', g.name, async () => {
            await call('capsule.stop', { name: g.name, timeout: Math.ceil(opts.timeoutMs / 1000) });
            return { result: 'stopped', how: 'term' };
          }),
    ),
  );
}

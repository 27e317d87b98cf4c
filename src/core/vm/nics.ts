// A VM on more switches than its first NIC (spec.network): `vm.nic.attach` records the NIC in the
// VM's definition, has the networks backend make its TAP (through `nova privd` for a user: a TAP
// their QEMU may open) and, when QEMU runs, hot-plugs it (QMP netdev_add + device_add on a spare
// PCIe root port). A stopped VM, or a hot-plug that cannot be done, gets the NIC at the next start
// and says so. Detach unplugs first (device_del, waiting for the guest), then removes the TAP.
import { NovaError } from '../../shared/errors.js';
import type { VmNicInfo } from '../../shared/contract/vm.js';
import type { VmContext } from './context.js';
import { vmFeatures } from './config/features.js';
import { declaredNics, declaredSwitches } from './nic-spec.js';
import { plugNic, unplugNic } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import { publish, vmLock } from './power.js';
import { deriveState } from './state.js';
import { layoutOf, loadRecord, readRuntime, saveRecord, writeRuntime } from './store.js';
import type { RuntimeInfo, VmRecord } from './store.js';

const owner = (name: string) => ({ kind: 'vm' as const, name });

/** Why this QEMU cannot take a hot-plugged TAP (undefined: it can). */
function hotplugBlocker(ctx: VmContext, rt: RuntimeInfo): string | undefined {
  // The TAP lives in the networks backend's netns: QEMU opens it by name, so it must run there too.
  if (ctx.netns && !(rt.argv[0] === 'ip' && rt.argv[1] === 'netns' && rt.argv[3] === ctx.netns)) return `QEMU runs outside the network namespace ${ctx.netns} the switch is in`;
  if (rt.incoming) return 'the VM is waiting for an incoming migration';
  return undefined;
}

/** The NICs of vm.inspect after the first: declared ones, then those of vm.nic.attach. */
export function nicInfos(rec: VmRecord, rt: RuntimeInfo | undefined): VmNicInfo[] {
  const declared = declaredNics(rec, vmFeatures(rec.spec).windows).slice(1).map((n, i): VmNicInfo => {
    const live = rt?.declared?.[i];
    return {
      network: n.network, mac: live?.mac ?? n.mac, state: live ? 'attached' : 'next-start', declared: true, model: n.device,
      ...(live?.ifname ? { ifname: live.ifname } : {}), ...(live ? {} : { reason: 'applies at the next start' }),
    };
  });
  return [...declared, ...attachedInfos(rec, rt)];
}

/** attached when the running QEMU has them, else waiting for the next start. */
function attachedInfos(rec: VmRecord, rt: RuntimeInfo | undefined): VmNicInfo[] {
  return (rec.nics ?? []).map((n) => {
    const live = rt?.nics?.find((x) => x.network === n.network);
    const reason = live ? undefined : rt ? (rt.nicErrors?.[n.network] ?? 'applies at the next start') : 'applies at the next start';
    return { network: n.network, mac: live?.mac ?? n.mac, state: live ? ('attached' as const) : ('next-start' as const), ...(live ? { ifname: live.ifname } : {}), ...(reason ? { reason } : {}) };
  });
}

export async function attachNic(ctx: VmContext, name: string, network: string, ports: string[]): Promise<VmNicInfo & { name: string; ip?: string }> {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    if (declaredSwitches(rec.spec).includes(network)) throw new NovaError('CONFLICT', `VM ${name} is already on network "${network}" (a NIC of its definition: network or nics)`, { field: 'network' });
    // The TAP and the address reservation (idempotent: the same owner gets the same MAC and IP).
    const att = await ctx.call('network.attach', { network, owner: owner(name), ...(rec.nics?.find((n) => n.network === network)?.mac ? { mac: rec.nics.find((n) => n.network === network)!.mac } : {}), ports });
    rec.nics = [...(rec.nics ?? []).filter((n) => n.network !== network), { network, mac: att.mac, ...(ports.length ? { ports } : {}) }];
    await saveRecord(ctx.paths, rec);
    const base = { name, network, mac: att.mac, ...(att.ip ? { ip: att.ip } : {}) };
    const st = await deriveState(ctx.paths, rec);
    const rt = st.state === 'running' || st.state === 'paused' ? await readRuntime(ctx.paths, name) : undefined;
    if (!rt) {
      publish(ctx, name, st.state, `NIC on ${network} applies at the next start`);
      return { ...base, state: 'next-start' as const, reason: 'the VM is not running: the NIC applies at the next start' };
    }
    if (rt.nics?.some((n) => n.network === network)) return { ...base, state: 'attached' as const, ifname: att.ifname };
    const blocked = hotplugBlocker(ctx, rt);
    let reason = blocked;
    if (!blocked) {
      try {
        const model = vmFeatures(rec.spec).windows ? 'e1000e' as const : 'virtio-net-pci' as const;
        await withQmp(layoutOf(ctx.paths, name).qmp, (q) => plugNic(q, { network, ifname: att.ifname, mac: att.mac, model, vhost: rt.accel === 'kvm', ...(att.mtu ? { mtu: att.mtu } : {}) }));
      } catch (e) {
        reason = `hot-plug failed: ${(e as Error).message}`;
      }
    }
    const errors = { ...rt.nicErrors };
    if (reason) errors[network] = `${reason}; applies at the next start`;
    else delete errors[network];
    const nics = reason ? (rt.nics ?? []) : [...(rt.nics ?? []), { network, ifname: att.ifname, mac: att.mac }];
    await writeRuntime(ctx.paths, name, { ...rt, nics, nicErrors: errors });
    publish(ctx, name, st.state, reason ? `NIC on ${network} applies at the next start` : `NIC on ${network} hot-plugged`);
    return reason ? { ...base, state: 'next-start' as const, reason: errors[network]! } : { ...base, state: 'attached' as const, ifname: att.ifname };
  }, 'nic attach');
}

export async function detachNic(ctx: VmContext, name: string, network: string, opts: { timeoutMs?: number } = {}): Promise<{ name: string; network: string; unplugged: boolean }> {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    if (declaredSwitches(rec.spec).includes(network)) {
      throw new NovaError('CONFLICT', `network "${network}" is a NIC of VM ${name}'s definition (network or nics): change the VM's definition while it is stopped (\`nova vm update\`, or the NovaFile)`, { field: 'network' });
    }
    const recorded = rec.nics?.some((n) => n.network === network) ?? false;
    const st = await deriveState(ctx.paths, rec);
    const rt = st.state === 'running' || st.state === 'paused' ? await readRuntime(ctx.paths, name) : undefined;
    let unplugged = false;
    if (rt?.nics?.some((n) => n.network === network)) {
      // The guest lets go first (a TIMEOUT leaves everything as it was), then the TAP goes.
      await withQmp(layoutOf(ctx.paths, name).qmp, (q) => unplugNic(q, network, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}));
      unplugged = true;
      const errors = { ...rt.nicErrors };
      delete errors[network];
      await writeRuntime(ctx.paths, name, { ...rt, nics: rt.nics.filter((n) => n.network !== network), nicErrors: errors });
    }
    const detached = await ctx.call('network.detach', { network, owner: owner(name), release: false }).then(
      () => true,
      (e: NovaError) => {
        if (e.code === 'NOT_FOUND') return false;
        throw e;
      },
    );
    if (!recorded && !detached) throw new NovaError('NOT_FOUND', `VM ${name} is not attached to network "${network}"`);
    if (recorded) {
      rec.nics = rec.nics!.filter((n) => n.network !== network);
      if (!rec.nics.length) delete rec.nics;
      await saveRecord(ctx.paths, rec);
    }
    publish(ctx, name, st.state, unplugged ? `NIC on ${network} unplugged` : `detached from ${network}`);
    return { name, network, unplugged };
  }, 'nic detach');
}

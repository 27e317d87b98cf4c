import { mkdir } from 'node:fs/promises';
import type { NetworkInfo } from '../../shared/contract/network.js';
import { NovaError } from '../../shared/errors.js';
import type { AttachResult } from '../network/attach.js';
import type { NetCtx } from '../network/context.js';
import type { HydrateReport } from '../network/hydrate.js';
import type { CaptureInfo, LeaseRow, NetworkOps } from '../network/ops.js';
import { rememberCapture } from '../network/capture.js';
import { deleteNetworkFile, saveNetwork } from '../network/store.js';
import type { NetworkState } from '../network/store.js';
import type { Changed } from '../privd/verbs.js';
import { privdCall } from './client.js';

// NetworkOps for a desktop user: every step goes to `nova privd`. The switches the user makes
// are also kept in their own XDG data folder (<data>/networks/<name>.json), the same file a root
// engine keeps, so their definitions stay theirs.

export function helperNetworkOps(ctx: NetCtx, env: NodeJS.ProcessEnv): NetworkOps {
  const call = (verb: Parameters<typeof privdCall>[0], input: unknown) => privdCall(verb, input as never, env);
  /** Keeps the caller's copy in step with what the helper did. */
  const change = async <T>(verb: Parameters<typeof privdCall>[0], input: unknown): Promise<T> => {
    const r = (await call(verb, input)) as Changed<T>;
    if (r.state) await saveNetwork(ctx, r.state as NetworkState);
    if (r.removed) await deleteNetworkFile(ctx, r.removed);
    return r.value;
  };
  return {
    via: 'helper',
    create: (name, spec, project) => change<NetworkInfo>('switch.create', { name, spec, ...(project !== undefined ? { project } : {}) }),
    update: (name, spec, project) => change<NetworkInfo>('switch.update', { name, spec, ...(project !== undefined ? { project } : {}) }),
    remove: (name, force) => change<void>('switch.delete', { name, force }),
    // Converges every user's switches: a system verb of the helper (org.nova.manage-system).
    hydrate: () => call('system.hydrate', {}) as Promise<HydrateReport>,
    async attach(i) {
      const common = { network: i.network, ports: i.ports, ...(i.mac ? { mac: i.mac } : {}) };
      if (i.owner.kind === 'vm') return change<AttachResult>('attach.tap', { ...common, owner: i.owner, ...(i.ip ? { ip: i.ip } : {}) });
      const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(i.netns ?? '')?.[1];
      if (!pid) {
        throw new NovaError('INVALID_INPUT', `netns ${i.netns ?? '(none)'}: through nova privd a capsule's namespace is named by a process of yours (/proc/<pid>/ns/net)`, { field: 'netns' });
      }
      return change<AttachResult>('attach.veth', { ...common, owner: i.owner, pid: Number(pid), ...(i.peer ? { peer: i.peer } : {}) });
    },
    detach: (network, owner, release) => change<void>('detach', { network, owner, release }),
    addForward: (network, owner, port) => change<void>('forward.add', { network, owner, port }),
    removeForward: (network, owner, port) => change<void>('forward.rm', { network, owner, port }),
    addRecord: (network, record) => change<void>('dns.add', { network, record }),
    removeRecord: (network, name) => change<void>('dns.rm', { network, name }),
    list: async (project) => ((await call('switch.list', project !== undefined ? { project } : {})) as { items: NetworkInfo[] }).items,
    inspect: async (name) => (await call('switch.inspect', { name })) as NetworkInfo,
    leases: async (name) => ((await call('switch.leases', { name })) as { items: LeaseRow[] }).items,
    async startCapture(o) {
      // The helper's tcpdump drops to us before it opens the file: it lands in our own folder.
      await mkdir(ctx.capturesDir, { recursive: true });
      const r = (await call('capture.start', { ...o, dir: ctx.capturesDir })) as { info: CaptureInfo; pid?: number };
      if (r.pid) await rememberCapture(ctx, r.info.id, r.pid);
      return r.info;
    },
    stopCapture: async (id) => (await call('capture.stop', { id, dir: ctx.capturesDir })) as CaptureInfo,
  };
}

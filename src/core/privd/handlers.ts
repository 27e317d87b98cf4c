import { readFile, stat } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import { capturePidOf, startCapture, stopCapture } from '../network/capture.js';
import type { NetCtx } from '../network/context.js';
import { ownerKey } from '../network/ipam.js';
import type { NetworkOps } from '../network/ops.js';
import { loadNetwork } from '../network/store.js';
import type { Owners } from './owners.js';
import { attachmentKey } from './owners.js';
import type { Peer } from './peer.js';
import { processUid } from './peer.js';
import { checkNetns } from '../sys/path-policy.js';
import { checkCallerUplinks } from './uplinks.js';
import type { Changed, ParsedVerbInput, Verb } from './verbs.js';
import type { SystemVerb } from './system-verbs.js';
import type { GpuVerb } from './verbs-gpu.js';

// What each verb does for its caller: ownership first (recorded before the host changes, checked
// before anything is touched), then the same NetworkOps a root engine uses.

export type VerbHandlers = { [V in Verb]: (input: ParsedVerbInput<V>, peer: Peer) => Promise<unknown> };

export function verbHandlers(ops: NetworkOps, ctx: NetCtx, owners: Owners): Omit<VerbHandlers, GpuVerb | SystemVerb> {
  /** The switch's state for its maker's own copy (their definition lives in their XDG data). */
  const changed = async <T>(value: T, network: string, peer: Peer): Promise<Changed<T>> => {
    const mine = ((await owners.owner('switch', network)) ?? 0) === peer.uid;
    const state = mine ? await loadNetwork(ctx, network) : undefined;
    return { value, ...(state ? { state } : {}) };
  };
  const requireSwitch = (name: string, peer: Peer) => owners.require('switch', name, peer.uid, `network "${name}"`);
  /** An attachment belongs to whoever made it first; nobody else may take over or remove it. */
  const claimAttachment = async (network: string, owner: { kind: string; name: string }, peer: Peer) => {
    const key = attachmentKey(network, ownerKey(owner));
    const held = await owners.owner('attachment', key);
    const exists = (await loadNetwork(ctx, network))?.reservations.some((r) => r.key === ownerKey(owner));
    if (held !== undefined && held !== peer.uid && peer.uid !== 0) {
      throw new NovaError('PERMISSION', `${owner.kind} "${owner.name}" on network "${network}" is another user's attachment (uid ${held}): pick another name. Nothing was changed.`, { field: 'owner' });
    }
    if (held === undefined && exists && peer.uid !== 0) {
      throw new NovaError('PERMISSION', `${owner.kind} "${owner.name}" on network "${network}" was attached by root: pick another name. Nothing was changed.`, { field: 'owner' });
    }
    if (held === undefined) await owners.set('attachment', key, peer.uid);
    return key;
  };

  return {
    'switch.list': async (i) => ({ items: await ops.list(i.project) }),
    'switch.inspect': async (i) => ops.inspect(i.name),
    'switch.leases': async (i) => ({ items: await ops.leases(i.name) }),
    'switch.create': async (i, peer) => {
      if (await loadNetwork(ctx, i.name)) throw new NovaError('CONFLICT', `network "${i.name}" already exists: pick another name`, { field: 'name' });
      await checkCallerUplinks(ctx, i.spec, peer);
      await owners.set('switch', i.name, peer.uid);
      try {
        return await changed(await ops.create(i.name, i.spec, i.project), i.name, peer);
      } catch (e) {
        if (!(await loadNetwork(ctx, i.name))) await owners.drop('switch', (k) => k === i.name);
        throw e;
      }
    },
    'switch.update': async (i, peer) => {
      await requireSwitch(i.name, peer);
      return changed(await ops.update(i.name, i.spec, i.project), i.name, peer);
    },
    'switch.delete': async (i, peer) => {
      await requireSwitch(i.name, peer);
      await ops.remove(i.name, i.force);
      await owners.drop('switch', (k) => k === i.name);
      await owners.drop('attachment', (k) => k.startsWith(`${i.name}/`));
      return { value: { ok: true }, removed: i.name } satisfies Changed<unknown>;
    },
    'dns.add': async (i, peer) => {
      await requireSwitch(i.network, peer);
      await ops.addRecord(i.network, i.record);
      return changed({ ok: true }, i.network, peer);
    },
    'dns.rm': async (i, peer) => {
      await requireSwitch(i.network, peer);
      await ops.removeRecord(i.network, i.name);
      return changed({ ok: true }, i.network, peer);
    },
    'attach.tap': async (i, peer) => {
      await claimAttachment(i.network, i.owner, peer);
      const r = await ops.attach({ network: i.network, owner: i.owner, ports: i.ports, ...(i.mac ? { mac: i.mac } : {}), ...(i.ip ? { ip: i.ip } : {}), tapUser: peer.uid });
      return changed(r, i.network, peer);
    },
    'attach.veth': async (i, peer) => {
      const uid = await processUid(i.pid);
      if (uid === undefined) throw new NovaError('NOT_FOUND', `no process ${i.pid}: pass the pid of a process inside the capsule`, { field: 'pid' });
      if (peer.uid !== 0 && uid !== peer.uid) throw new NovaError('PERMISSION', `process ${i.pid} is not yours: the veth can only go into a network namespace of your own process`, { field: 'pid' });
      // Not the host's own namespace either (a process of the caller's that never unshared one).
      checkNetns(`/proc/${i.pid}/ns/net`, ctx.ns ? `/run/netns/${ctx.ns}` : undefined);
      await claimAttachment(i.network, i.owner, peer);
      const netns = `/proc/${i.pid}/ns/net`;
      const r = await ops.attach({ network: i.network, owner: i.owner, netns, ports: i.ports, ...(i.mac ? { mac: i.mac } : {}), ...(i.peer ? { peer: i.peer } : {}) });
      return changed(r, i.network, peer);
    },
    detach: async (i, peer) => {
      const key = attachmentKey(i.network, ownerKey(i.owner));
      await owners.require('attachment', key, peer.uid, `${i.owner.kind} "${i.owner.name}" on network "${i.network}"`);
      await ops.detach(i.network, i.owner, i.release);
      if (i.release) await owners.drop('attachment', (k) => k === key);
      return changed({ ok: true }, i.network, peer);
    },
    'capture.start': async (i, peer) => {
      const cctx = await callerCaptures(ctx, i.dir, peer);
      const info = await startCapture(cctx, { network: i.network, ...(i.duration ? { duration: i.duration } : {}), ...(i.filter ? { filter: i.filter } : {}), ...(i.interface ? { interface: i.interface } : {}), user: await userName(peer.uid) });
      await owners.set('capture', info.id, peer.uid);
      return { info, pid: await capturePidOf(cctx, info.id) };
    },
    'capture.stop': async (i, peer) => {
      await owners.require('capture', i.id, peer.uid, `capture "${i.id}"`);
      return stopCapture(await callerCaptures(ctx, i.dir, peer), i.id);
    },
    'forward.add': async (i, peer) => {
      await owners.require('attachment', attachmentKey(i.network, ownerKey(i.owner)), peer.uid, `${i.owner.kind} "${i.owner.name}" on network "${i.network}"`);
      await ops.addForward(i.network, i.owner, i.port);
      return changed({ ok: true }, i.network, peer);
    },
    'forward.rm': async (i, peer) => {
      await owners.require('attachment', attachmentKey(i.network, ownerKey(i.owner)), peer.uid, `${i.owner.kind} "${i.owner.name}" on network "${i.network}"`);
      await ops.removeForward(i.network, i.owner, i.port);
      return changed({ ok: true }, i.network, peer);
    },
  };
}

/** The network context with the caller's own captures folder (it must exist and be theirs). */
async function callerCaptures(ctx: NetCtx, dir: string, peer: Peer): Promise<NetCtx> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new NovaError('INVALID_INPUT', `captures folder ${dir} does not exist`, { field: 'dir' });
  if (peer.uid !== 0 && st.uid !== peer.uid) throw new NovaError('PERMISSION', `captures folder ${dir} is not yours`, { field: 'dir' });
  return { ...ctx, capturesDir: dir };
}

/** The login name of a uid (tcpdump -Z takes a name). */
async function userName(uid: number): Promise<string> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.split(':')[2] === String(uid));
  if (!line) throw new NovaError('PERMISSION', `uid ${uid} has no entry in /etc/passwd: tcpdump cannot drop to it`);
  return line.split(':')[0]!;
}

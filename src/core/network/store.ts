import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkSpec } from '../../shared/schemas/novafile.js';
import type { NetworkOwner } from '../../shared/contract/network.js';
import { z } from 'zod';
import { dnsRecord } from '../../shared/contract/network.js';
import { networkSpec } from '../../shared/schemas/novafile.js';
import { macAddress, portForward } from '../../shared/schemas/fields.js';
import { stageFileAtomic, writeJsonAtomic } from '../sys/atomic.js';
import { readJsonSmall } from '../sys/small-files.js';
import type { StagedWrite } from '../sys/atomic.js';
import type { NetCtx } from './context.js';
import type { Reservation } from './ipam.js';
import { lazy } from '../../shared/lazy.js';

// One JSON file per switch: <data>/networks/<switch>.json (written atomically). It is the
// declaration hydrate converges the host to; status is never stored here, it is derived.

export interface AttachmentState {
  owner: NetworkOwner;
  ifname: string;
  kind: 'tap' | 'veth';
  netns?: string;
  peer?: string;
  /** TAPs made for a user's QEMU (through `nova privd`): the uid that may open it. */
  uid?: number;
}

export interface ForwardState {
  owner: NetworkOwner;
  port: string;
}

/** What an enslaved uplink carried before (restored on removal, re-applied by hydrate). */
export interface UplinkConfig {
  addrs: string[];
  routes: { dst: string; gateway?: string; metric?: number }[];
}

export interface NetworkState {
  version: 1;
  name: string;
  project?: string;
  spec: NetworkSpec;
  createdAt: number;
  /** Effective addressing (defaults resolved at create, kept stable afterwards). */
  subnet?: string;
  dhcpRange?: string;
  domain: string;
  reservations: Reservation[];
  attachments: AttachmentState[];
  forwards: ForwardState[];
  records: z.infer<typeof dnsRecord>[];
  uplinks?: Record<string, UplinkConfig>;
}

const stateFile = (ctx: NetCtx, name: string) => join(ctx.stateDir, `${name}.json`);

export async function loadNetwork(ctx: NetCtx, name: string): Promise<NetworkState | undefined> {
  return readJsonSmall<NetworkState | undefined>(stateFile(ctx, name), undefined);
}

export async function saveNetwork(ctx: NetCtx, state: NetworkState): Promise<void> {
  await writeJsonAtomic(stateFile(ctx, state.name), state);
}

/** saveNetwork staged (stageFileAtomic): the temp file syncs while the host is being changed. */
export function stageNetwork(ctx: NetCtx, state: NetworkState): StagedWrite & { json: string } {
  const json = `${JSON.stringify(state, null, 2)}\n`;
  return { ...stageFileAtomic(stateFile(ctx, state.name), json), json };
}

export async function deleteNetworkFile(ctx: NetCtx, name: string): Promise<void> {
  await rm(stateFile(ctx, name), { force: true });
  await rm(join(ctx.stateDir, `${name}.leases`), { force: true });
}

export async function loadAll(ctx: NetCtx): Promise<NetworkState[]> {
  let files: string[];
  try {
    files = readdirSync(ctx.stateDir);
  } catch {
    return [];
  }
  const names = files.filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -5));
  const all = await Promise.all(names.map((n) => loadNetwork(ctx, n)));
  return all.filter((s): s is NetworkState => Boolean(s)).sort((a, b) => a.name.localeCompare(b.name));
}

export const leaseFile = (ctx: NetCtx, name: string) => join(ctx.stateDir, `${name}.leases`);

/** What a saved declaration must satisfy before its values reach dnsmasq, nft or ip again. */
const storedValues = lazy(() => z.object({
  spec: networkSpec,
  records: z.array(dnsRecord),
  forwards: z.array(z.object({ port: portForward }).passthrough()),
  reservations: z.array(z.object({ mac: macAddress }).passthrough()),
}));

/**
 * Why a saved switch cannot be applied (files written by older versions may hold values that are
 * refused today, e.g. an SRV target with a comma), or undefined when it is fine.
 */
export function declarationProblem(n: NetworkState): string | undefined {
  const r = storedValues.safeParse(n);
  if (r.success) return undefined;
  const i = r.error.issues[0]!;
  const fix = i.path[0] === 'records' ? ` (remove it: \`nova net dns rm ${n.name} NAME\`)` : ` (fix it in ${n.name}.json or recreate the switch)`;
  return `saved ${i.path.join('.')} is invalid: ${i.message}${fix}`;
}

import { NovaError } from '../../shared/errors.js';
import type { z } from 'zod';
import type { dnsRecord } from '../../shared/contract/network.js';
import type { NetCtx } from './context.js';
import { needsDnsmasq, reloadDnsmasq } from './dnsmasq.js';
import { requireNetwork } from './attach.js';
import type { NetworkState } from './store.js';
import { saveNetwork } from './store.js';

// DNS records of a switch. The host goes first: dnsmasq is reloaded with the new records and the
// switch file is written only when it accepted them; otherwise the old records are put back, so
// one bad record can never leave a saved declaration that kills dnsmasq on every hydrate.

type DnsRecord = z.infer<typeof dnsRecord>;

export async function addRecord(ctx: NetCtx, network: string, record: DnsRecord): Promise<void> {
  const n = await requireNetwork(ctx, network);
  if (!needsDnsmasq(n) || !n.spec.dns) throw new NovaError('INVALID_INPUT', `network "${network}" has no DNS: create it with dns = true and a subnet`, { field: 'network' });
  await changeRecords(ctx, n, [...n.records.filter((r) => !(r.name === record.name && r.service === record.service)), record]);
}

export async function removeRecord(ctx: NetCtx, network: string, name: string): Promise<void> {
  const n = await requireNetwork(ctx, network);
  if (!n.records.some((r) => r.name === name)) throw new NovaError('NOT_FOUND', `no DNS record "${name}" on "${network}"`);
  await changeRecords(ctx, n, n.records.filter((r) => r.name !== name));
}

async function changeRecords(ctx: NetCtx, n: NetworkState, records: DnsRecord[]): Promise<void> {
  const before = n.records;
  n.records = records;
  try {
    await reloadDnsmasq(ctx, n);
  } catch (e) {
    n.records = before;
    await reloadDnsmasq(ctx, n).catch(() => undefined); // best effort: the previous config ran before
    const why = e instanceof Error ? e.message : String(e);
    throw new NovaError('INTERNAL', `dnsmasq of network "${n.name}" did not accept the change, nothing was saved: ${why} (see \`nova net inspect ${n.name}\`; \`nova net hydrate\` repairs the switch)`, { field: 'record' });
  }
  await saveNetwork(ctx, n);
}

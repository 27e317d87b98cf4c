import { describe, expect, it } from 'vitest';
import { networkSpec } from '../../shared/schemas/novafile.js';
import { buildRules, rulesetJson } from './nft.js';
import type { NetworkState } from './store.js';

const net = (name: string, spec: Record<string, unknown>, extra: Partial<NetworkState> = {}): NetworkState => ({
  version: 1, name, spec: networkSpec.parse(spec), createdAt: 0, domain: `${name}.nova`, reservations: [], attachments: [], forwards: [], records: [], ...extra,
});

describe('nft ruleset as data', () => {
  const lab = net('lab0', { profile: 'nat', uplink: 'enp6s0', subnet: '10.213.5.1/24' }, {
    subnet: '10.213.5.1/24',
    reservations: [{ key: 'vm:web', ip: '10.213.5.2', mac: '52:54:00:00:00:01', hostname: 'web', attached: true, at: 0 }],
    forwards: [{ owner: { kind: 'vm', name: 'web' }, port: '8080:80' }, { owner: { kind: 'vm', name: 'ghost' }, port: '9090:90' }],
  });
  const iso = net('iso0', { profile: 'isolated', subnet: '10.213.6.1/24' }, { subnet: '10.213.6.1/24' });
  const ext = net('ext0', { profile: 'external', uplink: 'eth1' });
  const rules = buildRules([lab, iso, ext], (n, o) => n.reservations.find((r) => r.key === `${o.kind}:${o.name}`)?.ip, (n) => n.spec.uplink);

  it('tags every rule with nova:<network>:<purpose>', () => {
    expect(rules.map((r) => `${r.chain} ${r.comment}`)).toEqual([
      'postrouting nova:lab0:masquerade',
      'postrouting nova:lab0:hairpin',
      'forward nova:lab0:out',
      'forward nova:lab0:return',
      'forward nova:lab0:dnat',
      'forward nova:lab0:guard',
      'postrouting nova:lab0:localhost',
      'prerouting nova:lab0:fwd:vm:web:8080/tcp',
      'output nova:lab0:fwd:vm:web:8080/tcp',
      'forward nova:iso0:isolate-out',
      'forward nova:iso0:isolate-in',
    ]);
  });

  it('masquerades only traffic leaving the subnet through the uplink; DNATs only local destinations', () => {
    const masq = JSON.stringify(rules[0]!.expr);
    expect(masq).toContain('{"match":{"op":"!=","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":{"prefix":{"addr":"10.213.5.0","len":24}}}}');
    expect(masq).toContain('"right":"enp6s0"');
    const fwd = JSON.stringify(rules.find((r) => r.chain === 'prerouting')!.expr);
    expect(fwd).toContain('"fib":{"result":"type","flags":["daddr"]}');
    expect(fwd).toContain('{"dnat":{"addr":"10.213.5.2","port":80}}');
  });

  it('renders one atomic transaction that flushes and rebuilds the table', () => {
    const doc = JSON.parse(rulesetJson('nova_t', rules)) as { nftables: Record<string, Record<string, unknown>>[] };
    expect(doc.nftables.slice(0, 2)).toEqual([{ add: { table: { family: 'ip', name: 'nova_t' } } }, { flush: { table: { family: 'ip', name: 'nova_t' } } }]);
    expect(doc.nftables.filter((c) => c.add?.chain).length).toBe(4);
    expect(doc.nftables.filter((c) => c.add?.rule).length).toBe(rules.length);
  });
});

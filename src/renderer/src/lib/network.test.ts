import { describe, expect, it } from 'vitest';
import { networkSpec } from '../../../shared/schemas/novafile.js';
import { emptyNetForm, netProblems, netSpec, suggestRange } from './network';

describe('network form', () => {
  it('a NAT bridge with DHCP becomes a valid networkSpec', () => {
    const f = { ...emptyNetForm(), name: 'lab0', subnet: '10.213.7.1/24', dhcpStart: '10.213.7.50', dhcpEnd: '10.213.7.150' };
    expect(netProblems(f)).toEqual({});
    expect(networkSpec.parse(netSpec(f))).toMatchObject({ type: 'bridge', profile: 'nat', subnet: '10.213.7.1/24', dhcp_range: '10.213.7.50-10.213.7.150' });
  });

  it('external needs an uplink; overlay carries vxlan settings', () => {
    expect(netProblems({ ...emptyNetForm(), name: 'ext', profile: 'external' }).uplink).toMatch(/host interface/);
    const o = { ...emptyNetForm(), name: 'ov', type: 'overlay' as const, vni: '42', peers: '10.0.0.2, 10.0.0.3' };
    expect(networkSpec.parse(netSpec(o))).toMatchObject({ type: 'overlay', driver: 'vxlan', vni: 42, peers: ['10.0.0.2', '10.0.0.3'] });
  });

  it('rejects long names and bad subnets with the fix', () => {
    const p = netProblems({ ...emptyNetForm(), name: 'a-very-long-network-name', subnet: '10.0.0.1' });
    expect(p.name).toMatch(/1-15/);
    expect(p.subnet).toMatch(/192.168.220.1\/24/);
    expect(suggestRange('10.213.9.1/24')).toEqual(['10.213.9.50', '10.213.9.150']);
  });
});

import { describe, expect, it } from 'vitest';
import { allocate, checkRange, defaultRange, overlaps, parseSubnet, stableMac } from './ipam.js';
import type { Reservation } from './ipam.js';

describe('ipam', () => {
  const s = parseSubnet('10.213.5.1/24');

  it('parses a gateway CIDR into network, broadcast and prefix', () => {
    expect(s.cidr).toBe('10.213.5.0/24');
    expect(overlaps(s, parseSubnet('10.213.5.129/25'))).toBe(true);
    expect(overlaps(s, parseSubnet('10.213.6.1/24'))).toBe(false);
    expect(defaultRange(s)).toBe('10.213.5.128-10.213.5.254');
  });

  it('rejects ranges outside the subnet, reversed, or covering the gateway, naming dhcp_range', () => {
    expect(() => checkRange(s, '10.213.9.10-10.213.9.20')).toThrow(/dhcp_range .* outside the subnet 10\.213\.5\.0\/24/);
    expect(() => checkRange(s, '10.213.5.90-10.213.5.20')).toThrow(/ends before it starts/);
    expect(() => checkRange(s, '10.213.5.1-10.213.5.20')).toThrow(/contains the gateway/);
    expect(() => checkRange(s, '10.213.5.50-10.213.5.150')).not.toThrow();
  });

  it('keeps an owner on its address, skips the gateway and the DHCP range, reuses the oldest detached when full', () => {
    const small = parseSubnet('10.213.7.1/29'); // .1 gw, .2-.6 usable
    const res: Reservation[] = [];
    const take = (key: string, at: number) => {
      const ip = allocate(small, '10.213.7.5-10.213.7.6', res, key);
      res.push({ key, ip, mac: stableMac('n', key), hostname: key, attached: true, at });
      return ip;
    };
    expect([take('vm:a', 1), take('vm:b', 2), take('vm:c', 3)]).toEqual(['10.213.7.2', '10.213.7.3', '10.213.7.4']);
    expect(allocate(small, '10.213.7.5-10.213.7.6', res, 'vm:b')).toBe('10.213.7.3');
    expect(() => allocate(small, '10.213.7.5-10.213.7.6', res, 'vm:d')).toThrow(/no free address/);
    res[1]!.attached = false;
    res[0]!.attached = false;
    res[1]!.at = 0; // b detached longest ago
    expect(allocate(small, '10.213.7.5-10.213.7.6', res, 'vm:d')).toBe('10.213.7.3');
    expect(res[1]!.ip).toBeUndefined();
  });

  it('derives stable, valid, unicast MACs', () => {
    expect(stableMac('lab', 'vm:web')).toBe(stableMac('lab', 'vm:web'));
    expect(stableMac('lab', 'vm:web')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(stableMac('lab', 'capsule:web')).toMatch(/^0a(:[0-9a-f]{2}){5}$/);
    expect(stableMac('lab', 'vm:web')).not.toBe(stableMac('lab2', 'vm:web'));
  });
});

import { describe, expect, it } from 'vitest';
import { specFacts } from './inspect';

describe('VM detail facts', () => {
  it('shows the guest agent\'s OS, hostname, addresses per NIC and the guest\'s memory as rows of their own', () => {
    const facts = specFacts({
      name: 'ga', state: 'running',
      guest: { agent: true, os: 'Debian GNU/Linux 12', hostname: 'web1', interfaces: [{ name: 'eth0', mac: '52:54:00:aa:bb:cc', addresses: ['10.0.2.15/24'] }, { name: 'eth1', addresses: [] }] },
      guestMemory: { totalBytes: 2 * 1024 ** 3, usedBytes: 512 * 1024 ** 2, availableBytes: 1536 * 1024 ** 2, source: 'balloon' },
      spec: { cpu: 2 },
    });
    expect(facts.filter(([k]) => k.startsWith('guest'))).toEqual([
      ['guest OS', 'Debian GNU/Linux 12'],
      ['guest hostname', 'web1'],
      ['guest eth0', '10.0.2.15/24 (52:54:00:aa:bb:cc)'],
      ['guest eth1', 'no address'],
      ['guest memory', expect.stringMatching(/ used of .* available, balloon\)$/)],
    ]);
    expect(specFacts({ name: 'x', guest: { agent: false, reason: 'no guest agent: nothing opened the channel' } })).toContainEqual(['guest', 'no guest agent: nothing opened the channel']);
  });
});

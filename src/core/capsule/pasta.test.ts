import { describe, expect, it } from 'vitest';
import { pastaArgs, pastaForward } from './pasta.js';

describe('pasta arguments', () => {
  it('publishes on the loopback unless an address is declared; 0.0.0.0 means every address', () => {
    expect(pastaForward('8080:80')).toEqual({ flag: '-t', spec: '127.0.0.1/8080:80' });
    expect(pastaForward('0.0.0.0:8080:80')).toEqual({ flag: '-t', spec: '8080:80' });
    expect(pastaForward('192.0.2.5:5353:53/udp')).toEqual({ flag: '-u', spec: '192.0.2.5/5353:53' });
  });

  it('forwards only what is declared, nothing of the host loopback into the capsule', () => {
    const a = pastaArgs('/usr/bin/pasta', ['8080:80'], '/x/pasta.log');
    expect(a.slice(0, 2)).toEqual(['/usr/bin/pasta', '--config-net']);
    expect(a.join(' ')).toContain('-t 127.0.0.1/8080:80 -u none -T none -U none --no-map-gw --dns-forward 169.254.1.1');
    expect(pastaArgs('/usr/bin/pasta', [], '/x/pasta.log').join(' ')).toContain('-t none -u none');
  });
});

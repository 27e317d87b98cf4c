import { describe, expect, it } from 'vitest';
import { takeHostOption } from './main.js';

describe('--host NAME / NOVA_HOST', () => {
  it('is taken out of argv anywhere, and NOVA_HOST is the default', () => {
    expect(takeHostOption(['vm', 'ls', '--host', 'b', '--json'], {})).toEqual({ rest: ['vm', 'ls', '--json'], host: 'b' });
    expect(takeHostOption(['--host=b', 'ls'], {})).toEqual({ rest: ['ls'], host: 'b' });
    expect(takeHostOption(['ls'], { NOVA_HOST: 'c' })).toEqual({ rest: ['ls'], host: 'c' });
    expect(takeHostOption(['-f', 'x', 'ls'], {})).toEqual({ rest: ['-f', 'x', 'ls'] });
  });
  it('leaves `nova serve --host ADDR` (the bind address) alone, also under NOVA_HOST', () => {
    expect(takeHostOption(['serve', '--host', '0.0.0.0'], { NOVA_HOST: 'c' })).toEqual({ rest: ['serve', '--host', '0.0.0.0'] });
  });
});

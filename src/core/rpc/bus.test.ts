import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';

// Samplers run only while someone would see metrics.sample (#24: an unwatched engine idles).
describe('EventBus audience', () => {
  it('wants an event while a transport has a client or an in-process listener is there, not for a passive one', () => {
    const bus = new EventBus();
    const changes: boolean[] = [];
    bus.onAudience(() => changes.push(bus.wanted('metrics.sample')));
    const offRing = bus.onPassive('metrics.sample', () => undefined);
    expect(bus.wanted('metrics.sample')).toBe(false);
    bus.viewer(1);
    expect(bus.wanted('metrics.sample')).toBe(true);
    bus.viewer(-1);
    expect(bus.wanted('metrics.sample')).toBe(false);
    const off = bus.on('metrics.sample', () => undefined);
    expect(bus.wanted('metrics.sample')).toBe(true);
    expect(bus.wanted('vm.state')).toBe(false);
    off();
    expect(bus.wanted('metrics.sample')).toBe(false);
    offRing();
    bus.viewer(-1); // never below zero
    expect(bus.wanted('metrics.sample')).toBe(false);
    expect(changes).toEqual([false, true, false, true, false, false, false]);
  });

  it('still delivers to passive listeners', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.onPassive('metrics.sample', (s) => seen.push(s.at));
    bus.emit('metrics.sample', { kind: 'host', name: 'local', at: 7, values: {} });
    expect(seen).toEqual([7]);
  });
});

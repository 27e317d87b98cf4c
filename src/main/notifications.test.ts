import { describe, expect, it } from 'vitest';
import { EventBus } from '../core/rpc/bus.js';
import { prefsSchema } from '../shared/contract/prefs.js';
import type { Prefs } from '../shared/contract/prefs.js';
import type { EngineNotification } from './notifications.js';
import { startNotifier } from './notifications.js';

const settle = () => new Promise((r) => setTimeout(r, 5));

function setup(prefs: Partial<Prefs> = {}) {
  const bus = new EventBus();
  const shown: EngineNotification[] = [];
  let t = 0;
  const current = prefsSchema.parse(prefs);
  const stop = startNotifier({ bus, getPrefs: async () => current, show: (n) => shown.push(n), now: () => t, dedupeMs: 1000 });
  return { bus, shown, current, stop, advance: (ms: number) => (t += ms) };
}

const offline = (ifname: string): EngineNotification => ({ level: 'warning', title: 'Interface offline', body: `${ifname} has no carrier`, subject: ifname });

describe('desktop notifications for engine events', () => {
  it('shows a VM crash and an interface going offline', async () => {
    const s = setup();
    s.bus.emit('notification', { level: 'error', title: 'VM crashed', body: 'win11 exited with signal 6' });
    s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown.map((n) => n.title)).toEqual(['VM crashed', 'Interface offline']);
  });

  it('turns a VM crash into a notification; other VM state changes stay quiet', async () => {
    const s = setup();
    s.bus.emit('vm.state', { name: 'win11', state: 'running' });
    s.bus.emit('vm.state', { name: 'win11', state: 'stopped' });
    s.bus.emit('vm.state', { name: 'win11', state: 'crashed', reason: 'QEMU exited with signal 6' });
    await settle();
    expect(s.shown).toEqual([{ level: 'error', title: 'VM win11 crashed', body: 'QEMU exited with signal 6', subject: 'win11' }]);
  });

  it('shows nothing while notifications are muted, and resumes when unmuted', async () => {
    const s = setup({ notifications: false });
    s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown).toEqual([]);
    s.current.notifications = true;
    s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown).toHaveLength(1);
  });

  it('honours the per-interface toggle', async () => {
    const s = setup({ monitoring: { eth0: { pollSeconds: 5, offlineThreshold: 3, notify: false } } });
    s.bus.emit('notification', offline('eth0'));
    s.bus.emit('notification', offline('eth1'));
    await settle();
    expect(s.shown.map((n) => n.subject)).toEqual(['eth1']);
  });

  it('shows a flapping link once per window, not once per flap', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown).toHaveLength(1);
    s.advance(1500);
    s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown).toHaveLength(2);
    s.stop();
    s.advance(5000);
    s.bus.emit('notification', offline('eth0'));
    await settle();
    expect(s.shown).toHaveLength(2);
  });
});

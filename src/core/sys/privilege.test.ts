import { describe, expect, it } from 'vitest';
import { CAPS, isPrivileged, parseCapEff, requireRoot } from './privilege.js';

const ALL = (1n << 41n) - 1n;
const user = { euid: 1000, capEff: 0n };
const root = { euid: 0, capEff: ALL };

describe('requireRoot', () => {
  it('passes for root', () => {
    expect(() => requireRoot('Creating bridge nova-lab', { identity: root, caps: ['CAP_NET_ADMIN'] })).not.toThrow();
  });

  it('refuses an unprivileged user with PERMISSION, the action, and how to get it done', () => {
    try {
      requireRoot('Installing units', { identity: user, fix: 'the package installs them' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        code: 'PERMISSION',
        message: 'Installing units needs root privileges. Nothing was changed. To fix: the package installs them',
        details: { fix: 'the package installs them' },
      });
    }
  });

  it('accepts a non-root process that holds the needed capability (e.g. a unit with AmbientCapabilities)', () => {
    const netAdmin = { euid: 1000, capEff: 1n << BigInt(CAPS.CAP_NET_ADMIN) };
    expect(() => requireRoot('Creating bridge x', { identity: netAdmin, caps: ['CAP_NET_ADMIN'] })).not.toThrow();
    expect(() => requireRoot('Binding a GPU to vfio-pci', { identity: netAdmin, caps: ['CAP_SYS_ADMIN'] })).toThrow(/needs root privileges \(CAP_SYS_ADMIN\)/);
  });

  it('explains root without capabilities (a container) instead of suggesting sudo', () => {
    expect(() => requireRoot('Creating bridge x', { identity: { euid: 0, capEff: 0n }, caps: ['CAP_NET_ADMIN'] })).toThrow(/needs CAP_NET_ADMIN, which this root process does not have/);
  });

  it('isPrivileged answers without throwing', () => {
    expect(isPrivileged([], root)).toBe(true);
    expect(isPrivileged([], user)).toBe(false);
  });
});

describe('helpers', () => {
  it('reads CapEff from /proc/self/status', () => {
    expect(parseCapEff('Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n')).toBe(0x1ffffffffffn);
    expect(parseCapEff('no caps here')).toBe(0n);
  });
});

describe('the one privilege guard', () => {
  const noHelper = { NOVA_PRIVD_SOCKET: '/nonexistent/privd.sock' };
  it('refuses network.create for a user without CAP_NET_ADMIN and no helper, before the handler runs, saying how to start the helper', async () => {
    const { Dispatcher } = await import('../rpc/dispatcher.js');
    const { privilegeGuard } = await import('../privilege/guard.js');
    const d = new Dispatcher();
    let ran = false;
    d.handle('network.create', () => {
      ran = true;
      throw new Error('must not run');
    });
    d.guard(privilegeGuard(noHelper, () => user));
    const r = await d.call('network.create', { name: 'lab', spec: {} }, { transport: 'ipc' });
    expect(ran).toBe(false);
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION', message: expect.stringContaining('Creating network lab needs CAP_NET_ADMIN') } });
    const details = (r as { error: { details: { fix: string; action: string } } }).error.details;
    expect(details.fix).toContain('nova privd --socket /nonexistent/privd.sock');
    expect(details.action).toBe('org.nova.manage-networks');
    expect(JSON.stringify(r)).not.toContain('sudo');
  });

  it('lets root and CAP_NET_ADMIN holders through and leaves unlisted procedures alone', async () => {
    const { Dispatcher } = await import('../rpc/dispatcher.js');
    const { privilegeGuard } = await import('../privilege/guard.js');
    const netAdmin = { euid: 1000, capEff: 1n << BigInt(CAPS.CAP_NET_ADMIN) };
    for (const [who, ok] of [[user, false], [root, true], [netAdmin, true]] as const) {
      const d = new Dispatcher();
      d.handle('task.list', () => ({ tasks: [] }));
      d.handle('network.hydrate', () => ({ recreated: [], repaired: [], removed: [], failed: [] }));
      d.guard(privilegeGuard(noHelper, () => who));
      expect((await d.call('task.list', {})).ok).toBe(true);
      expect((await d.call('network.hydrate', {})).ok).toBe(ok);
    }
  });
});

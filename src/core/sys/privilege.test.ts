import { describe, expect, it } from 'vitest';
import { CAPS, cliCommandLine, isPrivileged, parseCapEff, requireRoot } from './privilege.js';

const ALL = (1n << 41n) - 1n;
const user = { euid: 1000, capEff: 0n };
const root = { euid: 0, capEff: ALL };

describe('requireRoot', () => {
  it('passes for root', () => {
    expect(() => requireRoot('Creating bridge nova-lab', { identity: root, caps: ['CAP_NET_ADMIN'] })).not.toThrow();
  });

  it('refuses an unprivileged user with PERMISSION, the action, and the exact command to run', () => {
    try {
      requireRoot('Creating bridge nova-lab', { identity: user, retry: 'nova net create lab --subnet 10.213.5.0/24' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        code: 'PERMISSION',
        message: 'Creating bridge nova-lab needs root privileges. Nothing was changed. Run: sudo nova net create lab --subnet 10.213.5.0/24',
        details: { fix: 'sudo nova net create lab --subnet 10.213.5.0/24' },
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
  it('quotes the command line the user typed for the fix', () => {
    expect(cliCommandLine(['/usr/bin/node', '/usr/local/bin/nova', 'net', 'create', 'my lab'])).toBe("nova net create 'my lab'");
    expect(cliCommandLine(['/usr/bin/node', '/opt/app/server.js'])).toBeUndefined();
  });
});

describe('the dispatcher guard for root-only procedures', () => {
  it('refuses network.create for an unprivileged caller before the handler runs, naming the command', async () => {
    const { Dispatcher } = await import('../rpc/dispatcher.js');
    const { privilegeGuard } = await import('../system/privilege-policy.js');
    const d = new Dispatcher();
    let ran = false;
    d.handle('network.create', () => {
      ran = true;
      throw new Error('must not run');
    });
    d.guard(privilegeGuard(() => user));
    const r = await d.call('network.create', { name: 'lab', spec: {} }, { transport: 'ipc' });
    expect(ran).toBe(false);
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION', message: expect.stringContaining('Creating network lab needs root privileges (CAP_NET_ADMIN). Nothing was changed.') } });
    expect((r as { error: { details: { fix: string } } }).error.details.fix).toContain('sudo nova serve');
  });

  it('lets root through and leaves unlisted procedures alone', async () => {
    const { Dispatcher } = await import('../rpc/dispatcher.js');
    const { privilegeGuard } = await import('../system/privilege-policy.js');
    const d = new Dispatcher();
    d.handle('task.list', () => ({ tasks: [] }));
    d.guard(privilegeGuard(() => user));
    expect(await d.call('task.list', {})).toEqual({ ok: true, value: { tasks: [] } });
    const asRoot = new Dispatcher();
    asRoot.handle('task.list', () => ({ tasks: [] }));
    asRoot.guard(privilegeGuard(() => root));
    expect((await asRoot.call('task.list', {})).ok).toBe(true);
  });
});

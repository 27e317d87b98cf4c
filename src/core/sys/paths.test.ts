import { describe, expect, it } from 'vitest';
import { lockPath, resolvePaths } from './paths.js';

describe('paths', () => {
  it('NOVA_HOME puts config, data and runtime under one folder', () => {
    const p = resolvePaths({ NOVA_HOME: '/tmp/nh', XDG_RUNTIME_DIR: '/run/user/1000' }, 1000);
    expect(p).toEqual({ config: '/tmp/nh/config', data: '/tmp/nh/data', runtime: '/tmp/nh/run', source: 'NOVA_HOME' });
    expect(lockPath(p, 'vm', 'win11')).toBe('/tmp/nh/run/locks/vm-win11.lock');
  });

  it('follows XDG for users', () => {
    const p = resolvePaths({ HOME: '/home/ana', XDG_RUNTIME_DIR: '/run/user/1000' }, 1000);
    expect(p.config).toBe('/home/ana/.config/nova');
    expect(p.data).toBe('/home/ana/.local/share/nova');
    expect(p.runtime).toBe('/run/user/1000/nova');
  });

  it('uses system folders for root without XDG variables', () => {
    expect(resolvePaths({ HOME: '/root' }, 0)).toMatchObject({ config: '/etc/nova', data: '/var/lib/nova', runtime: '/run/nova' });
  });
});

import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Nova keeps things. Every path is derived here so tests can point all of it at a temp dir. */
export interface NovaPaths {
  config: string;
  data: string;
  runtime: string;
  /** Where the paths came from: "NOVA_HOME", "xdg" or "system". */
  source: 'NOVA_HOME' | 'xdg' | 'system';
}

/**
 * NOVA_HOME=DIR puts config, data and runtime state under DIR. Otherwise XDG for users, and
 * /etc/nova, /var/lib/nova, /run/nova for root without XDG variables.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 1000): NovaPaths {
  if (env.NOVA_HOME) {
    const home = env.NOVA_HOME;
    return { config: join(home, 'config'), data: join(home, 'data'), runtime: join(home, 'run'), source: 'NOVA_HOME' };
  }
  const hasXdg = Boolean(env.XDG_CONFIG_HOME || env.XDG_DATA_HOME || env.XDG_RUNTIME_DIR);
  if (uid === 0 && !hasXdg) {
    return { config: '/etc/nova', data: '/var/lib/nova', runtime: '/run/nova', source: 'system' };
  }
  const home = env.HOME || homedir();
  return {
    config: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'nova'),
    data: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'nova'),
    runtime: env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'nova') : join('/tmp', `nova-${uid}`),
    source: 'xdg',
  };
}

/** Well-known sub-folders, so backends do not invent their own layout. */
export const dirs = {
  networks: (p: NovaPaths) => join(p.data, 'networks'),
  captures: (p: NovaPaths) => join(p.data, 'captures'),
  vms: (p: NovaPaths) => join(p.data, 'vms'),
  capsules: (p: NovaPaths) => join(p.data, 'capsules'),
  images: (p: NovaPaths) => join(p.data, 'images'),
  /** The default storage pool: VM disks and ISOs. */
  storage: (p: NovaPaths) => join(p.data, 'storage'),
  locks: (p: NovaPaths) => join(p.runtime, 'locks'),
  prefsFile: (p: NovaPaths) => join(p.config, 'prefs.json'),
};

/** The lock file that serializes operations on one resource between processes. */
export const lockPath = (p: NovaPaths, kind: string, name: string) => join(dirs.locks(p), `${kind}-${name}.lock`);

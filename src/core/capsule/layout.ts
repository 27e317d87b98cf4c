import { join } from 'node:path';
import { dirs } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';

/** Where one capsule keeps its things: record, bundle, overlay dirs, logs, supervisor files. */
export interface CapsuleLayout {
  dir: string;
  record: string;
  bundle: string;
  config: string;
  rootfs: string;
  upper: string;
  work: string;
  logs: string;
  logFile: string;
  exitFile: string;
  stopMarker: string;
  supervisorPid: string;
  containerPid: string;
  restartPolicy: string;
  etc: string;
  snapshots: string;
}

export function capsuleLayout(paths: NovaPaths, name: string): CapsuleLayout {
  const dir = join(dirs.capsules(paths), name);
  const bundle = join(dir, 'bundle');
  return {
    dir,
    record: join(dir, 'capsule.json'),
    bundle,
    config: join(bundle, 'config.json'),
    rootfs: join(bundle, 'rootfs'),
    upper: join(dir, 'overlay', 'upper'),
    work: join(dir, 'overlay', 'work'),
    logs: join(dir, 'logs'),
    logFile: join(dir, 'logs', 'console.log'),
    exitFile: join(dir, 'exit.json'),
    stopMarker: join(dir, 'stop-requested'),
    supervisorPid: join(dir, 'supervisor.pid'),
    containerPid: join(dir, 'container.pid'),
    restartPolicy: join(dir, 'restart-policy'),
    etc: join(dir, 'etc'),
    snapshots: join(dir, 'snapshots'),
  };
}

/** The runtime's state root (crun/runc --root), per NOVA_HOME so parallel engines never collide. */
export const runtimeRoot = (paths: NovaPaths, runtime: string) => join(paths.runtime, 'capsules', runtime);

/** The capsule's cgroup (cgroupfs path under each controller, or under the v2 root). */
export const capsuleCgroup = (id: string) => `/nova/${id}`;

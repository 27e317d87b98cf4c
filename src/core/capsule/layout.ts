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
  /** Touched after a pause/resume: a freezer change writes no file, and serving engines watch this folder. */
  freezerStamp: string;
  etc: string;
  snapshots: string;
}

export function capsuleLayout(paths: NovaPaths, name: string): CapsuleLayout {
  // Concatenation (folders normalized, names never hold '/'): built per item in every listing.
  const dir = `${dirs.capsules(paths)}/${name}`;
  const bundle = `${dir}/bundle`;
  return {
    dir,
    record: `${dir}/capsule.json`,
    bundle,
    config: `${bundle}/config.json`,
    rootfs: `${bundle}/rootfs`,
    upper: `${dir}/overlay/upper`,
    work: `${dir}/overlay/work`,
    logs: `${dir}/logs`,
    logFile: `${dir}/logs/console.log`,
    exitFile: `${dir}/exit.json`,
    stopMarker: `${dir}/stop-requested`,
    supervisorPid: `${dir}/supervisor.pid`,
    containerPid: `${dir}/container.pid`,
    restartPolicy: `${dir}/restart-policy`,
    freezerStamp: `${dir}/freezer-changed`,
    etc: `${dir}/etc`,
    snapshots: `${dir}/snapshots`,
  };
}

/** The runtime's state root (crun/runc --root), per NOVA_HOME so parallel engines never collide. */
export const runtimeRoot = (paths: NovaPaths, runtime: string) => join(paths.runtime, 'capsules', runtime);

/** The capsule's cgroup (cgroupfs path under each controller, or under the v2 root). */
export const capsuleCgroup = (id: string) => `/nova/${id}`;

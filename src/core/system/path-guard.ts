import { dirname, isAbsolute } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { VOLUME } from '../../shared/schemas/novafile.js';
import type { ContainerSpec, VmSpec } from '../../shared/schemas/novafile.js';
import type { EngineContext } from '../context.js';
import type { Guard } from '../rpc/dispatcher.js';
import { allowedPath, checkNetns, pathScope } from '../sys/path-policy.js';

// The path policy (sys/path-policy.ts) applied to every procedure that hands a host path to a
// tool: checked once, up front, before any handler runs — so a refused call starts nothing.

interface Check {
  field: string;
  path: string;
  what: string;
}
interface Paths {
  project?: string;
  /** The field `project` came from, when not baseDir. */
  projectField?: string;
  checks: Check[];
  /** Checked for API clients only (the person at the host may choose any folder). */
  remoteOnly?: boolean;
}

const c = (field: string, path: string | undefined, what: string): Check[] => (path ? [{ field, path, what }] : []);

const isPath = (s: string) => s.startsWith('/') || s.startsWith('./') || s.startsWith('../');
const capsuleFiles = (spec: ContainerSpec): Check[] => [
  ...(isPath(spec.capsule) ? c('spec.capsule', spec.capsule, 'root filesystem') : []),
  ...spec.volumes.flatMap((v, i) => c(`spec.volumes[${i}]`, VOLUME.exec(v)?.[1], 'bind mount source')),
];

const vmFiles = (spec: VmSpec): Check[] => [
  ...c('spec.image', spec.image, 'disk image'),
  ...spec.disks.flatMap((d, i) => c(`spec.disks[${i}]`, typeof d === 'string' ? d : d.path, 'disk image')),
  // The base image a new overlay disk is created on: QEMU reads it as the engine's user.
  ...spec.disks.flatMap((d, i) => (typeof d === 'string' ? [] : c(`spec.disks[${i}].backing`, d.backing, 'backing image'))),
  ...(spec.iso === undefined ? [] : Array.isArray(spec.iso) ? spec.iso : [spec.iso]).flatMap((p, i) => c(`spec.iso${Array.isArray(spec.iso) ? `[${i}]` : ''}`, p, 'ISO')),
  // Direct boot: QEMU reads these as the engine's user, like a disk.
  ...c('spec.kernel', spec.kernel, 'kernel'),
  ...c('spec.initrd', spec.initrd, 'initrd'),
  // Shared folders: the guest reads and writes them through virtiofsd or QEMU.
  ...(spec.shares ?? []).flatMap((s, i) => c(`spec.shares[${i}].host`, s.host, 'shared folder')),
];

/** A NovaFile read by path: its folder is the project; over the API a folder must be named. */
const novafile = (i: { path?: string; cwd?: string }): Paths => ({
  ...(i.cwd ? { project: i.cwd, projectField: 'cwd' } : i.path && isAbsolute(i.path) ? { project: dirname(i.path), projectField: 'path' } : {}),
  checks: [...c('cwd', i.cwd, 'project folder'), ...c('path', i.path, 'NovaFile')],
});

type In = Record<string, unknown>;
/** A string field of the (already validated) input. */
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const RULES: Record<string, (i: In) => Paths> = {
  'capsule.create': (i) => ({ project: str(i.baseDir), checks: capsuleFiles(i.spec as ContainerSpec) }),
  'capsule.update': (i) => ({ project: str(i.baseDir), checks: capsuleFiles(i.spec as ContainerSpec) }),
  'vm.create': (i) => ({ project: str(i.baseDir), checks: vmFiles(i.spec as VmSpec) }),
  'vm.update': (i) => ({ project: str(i.baseDir), checks: vmFiles(i.spec as VmSpec) }),
  'vm.receive': (i) => ({ project: str(i.baseDir), checks: vmFiles(i.spec as VmSpec) }),
  'vm.disk.create': (i) => ({ checks: [...c('path', str(i.path), 'disk image'), ...c('backing', str(i.backing), 'backing image')] }),
  'vm.disk.import': (i) => ({ checks: [...c('source', str(i.source), 'image'), ...c('path', str(i.path), 'disk image')] }),
  'vm.disk.resize': (i) => ({ checks: c('path', str(i.path), 'disk image') }),
  'vm.disk.info': (i) => ({ checks: c('path', str(i.path), 'disk image') }),
  'vm.screenshot': (i) => ({ checks: c('path', str(i.path), 'output') }),
  // Another Nova home receives the VM's definition (and runs it): an output like any other.
  'vm.migrate': (i) => ({ checks: str(i.to)?.startsWith('home:') ? c('to', str(i.to)!.slice('home:'.length), 'destination Nova home') : [] }),
  'image.import': (i) => ({ project: str(i.baseDir), checks: c('source', str(i.source), 'root filesystem') }),
  // cwd: the bundle reads the NovaFile found there (over the API, only under a root).
  'support.bundle': (i) => ({ project: str(i.cwd), projectField: 'cwd', checks: [...c('output', str(i.output), 'output'), ...c('novafile', str(i.novafile), 'NovaFile'), ...c('cwd', str(i.cwd), 'project folder')] }),
  // A storage pool becomes a root (below): over the API it may only be a folder under one already.
  'storage.pool.add': (i) => ({ checks: c('path', str(i.path), 'storage pool folder'), remoteOnly: true }),
  // Staged integration files (a symlink on PATH, units, the polkit policy): an output like a bundle.
  'system.install': (i) => ({ checks: c('destdir', str(i.destdir), 'staging root') }),
  'system.uninstall': (i) => ({ checks: c('destdir', str(i.destdir), 'staging root') }),
  'novafile.validate': novafile,
  'novafile.plan': novafile,
  'novafile.up': novafile,
  'novafile.run': novafile,
  'novafile.down': novafile,
  // Writes the NovaFile (or creates it in cwd): the same folder rules as reading it.
  'novafile.addVm': novafile,
  // The cluster deploys a NovaFile read here (or given as text): the same folder rules.
  'cluster.plan': novafile,
  'cluster.up': novafile,
  'cluster.down': novafile,
};

/** Cluster procedures that read a project's NovaFile unless it comes as text (or down names the project). */
const CLUSTER_PROJECT = new Set(['cluster.plan', 'cluster.up', 'cluster.down']);

/** Preferences whose folders become roots: only the person at the host may change them. */
const WIDENING = new Set(['allowedRoots', 'storagePools']);

export function pathGuard(engine: EngineContext): Guard {
  return async (method, input, ctx) => {
    const remote = Boolean(ctx.remote);
    const key = (input as { key?: string }).key;
    if (remote && method === 'prefs.set' && key && WIDENING.has(key)) {
      throw new NovaError('PERMISSION', `${key} widens what Nova may touch on this host: set it on the host itself (the app, \`nova config\` or the prefs file), not over the API`, { field: 'key' });
    }
    if (method === 'network.attach') {
      const netns = str((input as In).netns);
      // Tests (and lab setups) put the engine's host side in a namespace of its own: that one too.
      const hostNs = engine.env.NOVA_NETNS || (engine.runner as { netns?: string }).netns;
      if (netns) checkNetns(netns, hostNs ? `/run/netns/${hostNs}` : undefined);
      return;
    }
    const rule = RULES[method];
    if (!rule) return;
    const { project, projectField, checks, remoteOnly } = rule(input as In);
    if (remoteOnly && !remote) return;
    // Validating text touches no file; everything else would otherwise read the server's folder.
    const readsProject = method.startsWith('novafile.') ? method !== 'novafile.validate' : CLUSTER_PROJECT.has(method) && str((input as In).text) === undefined && str((input as In).project) === undefined;
    if (remote && readsProject && !project) {
      throw new NovaError('INVALID_INPUT', 'cwd: an API call has no working directory: give cwd (the project folder) or an absolute path to the NovaFile', { field: 'cwd' });
    }
    const scope = pathScope({
      paths: engine.paths,
      env: engine.env,
      uid: process.getuid?.() ?? 0,
      configured: await configuredRoots(engine),
      ...(project ? { project, ...(projectField ? { projectField } : {}) } : {}),
      remote,
    });
    for (const ch of checks) allowedPath(scope, ch.field, ch.path, ch.what);
  };
}

/** Roots the host's user configured: `allowedRoots` and the folders added as storage pools. */
async function configuredRoots(engine: EngineContext): Promise<string[]> {
  const prefs = await engine.prefs.get();
  return [...prefs.allowedRoots, ...prefs.storagePools.map((p) => p.path)];
}
